import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import { chunksOfResponse } from "../spec/response-chunks.js";
import type { StreamEvent } from "../spec/stream-events.js";
import { ReplayedStream } from "./replayed-stream.js";
import type { OpenedUpstream } from "./upstream-attempt.js";

/**
 * An answer the gateway assembled itself (a validated structured output, the end of a
 * tool loop) as the relay's input: a JSON body, or a stream when the client asked for one.
 * `extensions` (a tool loop's steps) are streamed right after the answer's start.
 */
export function builtAnswer(request: CanonicalRequest, response: CanonicalResponse, signal: AbortSignal, extensions: readonly StreamEvent[] = []): OpenedUpstream {
  if (!request.stream) return { kind: "response", api: "canonical", response, raw: Buffer.alloc(0), ttftMs: 0 };
  const [start, ...rest] = chunksOfResponse(response);
  const chunks = [start!, ...extensions.map((e) => ({ raw: "", events: [e] })), ...rest];
  return { kind: "stream", api: "canonical", stream: new ReplayedStream([chunks], signal), ttftMs: 0 };
}
