import type { CanonicalRequest, WireApi } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { TopLevelMembers } from "../json/top-level-members.js";
import type { Usage } from "../spec/usage.js";
import type { CanonicalEmbeddingResponse } from "../spec/embedding.js";
import type { UpstreamChunk } from "../spec/stream-events.js";
import type { SseMessage } from "../sse/decoder.js";
import type { UpstreamErrorFields } from "./openai/error-body.js";
import type { HttpRequestSpec, Transport } from "../transport/http-transport.js";

/**
 * Splits a stream's bytes into messages: SSE (the default), or a provider's own framing
 * (Bedrock's binary event stream) read into the same `{event, data}` shape.
 */
export interface MessageDecoder {
  push(bytes: Uint8Array): SseMessage[];
  /** What is left when the body ends. */
  end(): SseMessage[];
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
  /** An error answer's fields; `headers` for providers that name the error there (AWS's x-amzn-errortype). */
  parseError(status: number, text: string, headers?: Record<string, string | string[] | undefined>): UpstreamErrorFields;
  /** Embeddings (`request.embedding`), for providers that serve them; a route whose target lacks these cannot embed. */
  buildEmbeddingRequest?(request: CanonicalRequest, model: string): HttpRequestSpec;
  parseEmbeddingResponse?(body: unknown): CanonicalEmbeddingResponse;
  /** The provider's own token count for a request (Anthropic's count_tokens); absent: Tollgate counts with its tokenizer. */
  buildCountTokensRequest?(request: CanonicalRequest, model: string): HttpRequestSpec;
  /** The wire format this adapter speaks: when the client speaks it too, frames pass through untouched. */
  readonly nativeApi: WireApi;
  /** For streams not framed as SSE: a decoder for one stream's bytes. Absent: SSE. */
  messageDecoder?(): MessageDecoder;
  /**
   * For a relay that passes the upstream's bytes on as they came (the client speaks this format
   * and nothing would change a frame): which SSE frames of one read certainly carry content only,
   * no usage, error, finish or end marker. `text`: the read's whole frames, bytes read as latin1;
   * `ends`: where each frame ends. Such frames go out unparsed, their text read later and only if
   * wanted; the others are parsed, and their events then read only for usage, the end and
   * failures. A wrong "true" loses usage or hides an error: when unsure, false. Absent (or with a
   * messageDecoder, or no end marker): every frame is parsed.
   */
  contentOnlyFrames?(text: string, ends: readonly number[]): boolean[];
  /**
   * For a large non-streamed answer, which a client of the same API takes as it came: its usage,
   * read from the body's top-level members alone (the rest is parsed only if a stage reads it).
   * Undefined when the members do not look like a good answer (then the body is parsed whole and
   * fails as usual): so check what `parseResponse` would refuse. Absent: always parsed whole.
   */
  largeAnswerUsage?(members: TopLevelMembers): { usage: Usage | undefined } | undefined;
  /**
   * For a provider that speaks several wire formats (Bedrock: Converse for every model, Anthropic's
   * own body for Claude to a Messages client): the adapter that serves this request. Absent: this one.
   */
  forRequest?(request: CanonicalRequest, model: string): ProviderAdapter;
}

/** The adapter that serves this request. */
export function adapterFor(adapter: ProviderAdapter, request: CanonicalRequest, model: string): ProviderAdapter {
  return adapter.forRequest?.(request, model) ?? adapter;
}

/** A configured provider: its adapter and the transport that carries its requests. */
export interface Provider {
  name: string;
  type: string;
  adapter: ProviderAdapter;
  transport: Transport;
}
