import type { CanonicalRequest, WireApi } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { CanonicalEmbeddingResponse } from "../spec/embedding.js";
import type { UpstreamChunk } from "../spec/stream-events.js";
import type { SseMessage } from "../sse/decoder.js";
import type { UpstreamErrorFields } from "./openai/error-body.js";
import type { Transport } from "./transport.js";

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Parses the SSE messages of one stream, in order. */
export interface StreamParser {
  parseStreamMessage(message: SseMessage, first: boolean): UpstreamChunk | null;
}

/**
 * A provider's wire format: pure translation and parsing, no I/O. Every adapter
 * turns the canonical request into its HTTP request and its answers into canonical events.
 */
export interface ProviderAdapter {
  buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec;
  /** One SSE message to canonical events; null for the provider's end-of-stream marker. */
  parseStreamMessage(message: SseMessage, first: boolean): UpstreamChunk | null;
  /** For formats whose messages depend on earlier ones (item order, a terminal event seen): a parser holding one stream's state. Absent: parseStreamMessage is stateless. */
  streamParser?(): StreamParser;
  /**
   * True when the stream format has an explicit end marker whose absence means the stream was cut.
   * False (Gemini): the stream ends with the connection, and it counts as complete only if a
   * finish event came for every choice that began; otherwise it was cut.
   */
  readonly hasEndMarker: boolean;
  parseResponse(body: unknown): CanonicalResponse;
  parseError(status: number, text: string): UpstreamErrorFields;
  /** Embeddings (`request.embedding`), for providers that serve them; a route whose target lacks these cannot embed. */
  buildEmbeddingRequest?(request: CanonicalRequest, model: string): HttpRequestSpec;
  parseEmbeddingResponse?(body: unknown): CanonicalEmbeddingResponse;
  /** The provider's own token count for a request (Anthropic's count_tokens); absent: Tollgate counts with its tokenizer. */
  buildCountTokensRequest?(request: CanonicalRequest, model: string): HttpRequestSpec;
  /** The wire format this adapter speaks: when the client speaks it too, frames pass through untouched. */
  readonly nativeApi: WireApi;
}

/** A configured provider: its adapter and the transport that carries its requests. */
export interface Provider {
  name: string;
  type: string;
  adapter: ProviderAdapter;
  transport: Transport;
}
