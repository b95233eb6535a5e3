import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { UpstreamChunk } from "../spec/stream-events.js";
import type { RenderedError } from "../errors/render.js";
import type { OpenedUpstream } from "../pipeline/upstream-attempt.js";

/** One inbound API's wire format: its request parser and how answers are written in it. */
export interface InboundCodec {
  readonly api: CanonicalRequest["inbound"]["api"];
  parseRequest(body: unknown): CanonicalRequest;
  /** The frame for one upstream chunk, or null to send nothing for it. */
  streamFrame(chunk: UpstreamChunk, request: CanonicalRequest): string | null;
  /** The clean end of a stream. */
  streamEnd(): string;
  /** A failure after the stream began: an error frame, and no clean end after it. */
  streamError(error: RenderedError["body"]): string;
  responseBody(opened: Extract<OpenedUpstream, { kind: "response" }>): string | Buffer;
}
