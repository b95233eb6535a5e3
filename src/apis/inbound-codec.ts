import type { AnswerApi, CanonicalRequest, InboundApi, WireApi } from "../spec/canonical-request.js";
import type { FrameRewrite, UpstreamChunk } from "../spec/stream-events.js";
import type { RenderedError } from "../errors/render.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { CanonicalEmbeddingResponse } from "../spec/embedding.js";
import type { Usage } from "../spec/usage.js";
import type { ResponseBody } from "../spec/response-sink.js";

/**
 * Writes one answer's stream in the client's API. Built per request: a translating
 * encoder keeps state (open content blocks, the finish reason waiting for usage).
 */
export interface StreamEncoder {
  /** Frames for one upstream chunk; "" for none. */
  chunk(chunk: UpstreamChunk): string;
  /** The clean end of the stream. */
  end(): string;
  /** A failure after the stream began: an error frame, and no clean end after it. */
  error(error: RenderedError): string;
  /**
   * True when `chunk()` gives every frame back as the upstream sent it (same format, nothing to
   * change), or as `rewrite` makes it of the frame's bytes: the relay may then send the upstream's
   * bytes (rewritten so), without calling `chunk()`; `end()` and `error()` are still called.
   */
  readonly verbatim?: boolean;
  /** With `verbatim`: each frame's bytes as `chunk()` would write it, byte for byte, when that is not the frame as it came. */
  readonly rewrite?: FrameRewrite;
}

/** One inbound API's wire format: its request parser and how answers and errors are written in it. */
export interface InboundCodec {
  readonly api: InboundApi;
  parseRequest(body: unknown): CanonicalRequest;
  streamEncoder(request: CanonicalRequest, upstream: { api: AnswerApi }): StreamEncoder;
  responseBody(request: CanonicalRequest, upstream: { api: AnswerApi; response: CanonicalResponse; raw: readonly Buffer[] }): ResponseBody;
  /** The body answering an embeddings request; only a codec whose requests carry `embedding` has one. */
  embeddingBody?(request: CanonicalRequest, upstream: { api: WireApi; response: CanonicalEmbeddingResponse & { usage: Usage }; raw: readonly Buffer[] }): ResponseBody;
  /** The body answering a token count (Gemini's countTokens); only a codec that counts has one, and its requests are answered without an upstream call. */
  tokenCountBody?(totalTokens: number): string;
  /** The error body in this API's shape. */
  errorBody(error: RenderedError): unknown;
}
