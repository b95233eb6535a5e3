import type { CanonicalResponse } from "../spec/canonical-response.js";
import { foldEvents } from "../spec/fold-events.js";
import type { UpstreamChunk } from "../spec/stream-events.js";
import { joined } from "../transport/upstream-body.js";
import { builtAnswer } from "./built-answer.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { ReplayedStream } from "./replayed-stream.js";
import type { OpenedUpstream } from "./upstream-attempt.js";
import type { AnswerApi } from "../spec/canonical-request.js";

/**
 * A complete answer as the client received it, in plain JSON (storable anywhere):
 * a stream's chunks grouped as the upstream's reads delivered them, or a whole body.
 */
export type RecordedAnswer = { kind: "stream"; api: AnswerApi; batches: UpstreamChunk[][] } | { kind: "response"; api: AnswerApi; response: CanonicalResponse; raw: string };

/**
 * Keeps what the relay sends while a stage that wants it (a cache, idempotent replay)
 * waits on the answer; only a complete answer is ever handed out.
 */
export class AnswerRecorder {
  private readonly batches: UpstreamChunk[][] = [];

  /** Called by the relay with the chunks of each write. */
  push(chunks: readonly UpstreamChunk[]): void {
    this.batches.push([...chunks]);
  }

  /** The answer once relayed in full; undefined for failed, cut or cancelled ones. */
  answer(upstream: OpenedUpstream | undefined): RecordedAnswer | undefined {
    if (!upstream || upstream.kind === "embedding") return undefined;
    if (upstream.kind === "response") return { kind: "response", api: upstream.api, response: upstream.response, raw: joined(upstream.raw).toString("utf8") };
    if (upstream.stream.outcome !== "complete") return undefined;
    return { kind: "stream", api: upstream.api, batches: this.batches };
  }
}

/** A recorded answer as the relay's input, in the mode the client asked for this time. */
export function replayAnswer(request: CanonicalRequest, recorded: RecordedAnswer, signal: AbortSignal): OpenedUpstream {
  if (recorded.kind === "stream") {
    if (request.stream) return { kind: "stream", api: recorded.api, stream: new ReplayedStream(recorded.batches, signal), ttftMs: 0 };
    return builtAnswer(request, foldEvents(recorded.batches.flat().flatMap((c) => c.events)), signal);
  }
  if (request.stream) return builtAnswer(request, recorded.response, signal);
  return { kind: "response", api: recorded.api, response: recorded.response, raw: [Buffer.from(recorded.raw, "utf8")], ttftMs: 0 };
}
