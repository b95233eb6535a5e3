import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import { chunksOfResponse } from "../spec/response-chunks.js";
import { ReplayedStream } from "./replayed-stream.js";
import type { OpenedUpstream } from "./upstream-attempt.js";

/**
 * An answer the gateway assembled itself (a validated structured output, the end of a
 * tool loop) as the relay's input: a JSON body, or a stream when the client asked for one.
 */
export function builtAnswer(request: CanonicalRequest, response: CanonicalResponse, signal: AbortSignal): OpenedUpstream {
  if (!request.stream) return { kind: "response", api: "canonical", response, raw: [], ttftMs: 0 };
  return { kind: "stream", api: "canonical", stream: new ReplayedStream([chunksOfResponse(response)], signal), ttftMs: 0 };
}
