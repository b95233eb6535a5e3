import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import { toPlatformMessagesBody } from "../anthropic/platform-body.js";
import { messagesAnswerUsage, parseMessagesResponse } from "../anthropic/messages-response.js";
import { createMessagesStreamParser } from "../anthropic/messages-stream.js";
import { messagesContentFrames } from "../anthropic/messages-content-frame.js";
import { toGeminiBody } from "../google/request.js";
import { parseGeminiResponse } from "../google/response.js";
import { createGeminiStreamParser } from "../google/stream.js";
import type { ProviderAdapter } from "../provider.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import { parseVertexEmbeddingResponse, toVertexEmbeddingBody } from "./embeddings.js";
import { parseVertexErrorBody } from "./error-body.js";

export interface VertexAdapterConfig {
  project: string;
  /** A region (us-central1, europe-west4, ...) or `global`. */
  location: string;
  /** Replaces https://LOCATION-aiplatform.googleapis.com/v1 (a proxy, a test server); no trailing slash. */
  baseURL?: string;
  headers: Record<string, string>;
  defaultMaxTokens: number;
}

/** Claude's body version on Vertex. */
export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

/** The API root for a location: `global` has no regional host. */
function vertexBaseURL(location: string): string {
  return location === "global" ? "https://aiplatform.googleapis.com/v1" : `https://${location}-aiplatform.googleapis.com/v1`;
}

function isClaude(model: string): boolean {
  return model.startsWith("claude");
}

/**
 * Google Vertex AI: Gemini models through generateContent (the `google` adapter's wire,
 * under the project's and location's publisher path), Claude models through rawPredict /
 * streamRawPredict with Anthropic's body (`anthropic_version: vertex-2023-10-16`, the
 * `anthropic` adapter's parsers), text embeddings through predict. The access token is
 * added by the transport (`createVertexAuthorizer`).
 */
export function createVertexAdapter(config: VertexAdapterConfig): ProviderAdapter {
  const headers: Record<string, string> = { "content-type": "application/json", ...config.headers };
  const root = `${config.baseURL ?? vertexBaseURL(config.location)}/projects/${encodeURIComponent(config.project)}/locations/${encodeURIComponent(config.location)}/publishers`;
  const url = (publisher: string, model: string, method: string) => `${root}/${publisher}/models/${encodeURIComponent(model)}:${method}`;

  const claude: ProviderAdapter = {
    nativeApi: "anthropic-messages",
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      const body = toPlatformMessagesBody(request, model, { version: VERTEX_ANTHROPIC_VERSION, defaultMaxTokens: config.defaultMaxTokens, streamInBody: true });
      return { url: url("anthropic", model, request.stream ? "streamRawPredict" : "rawPredict"), headers, body: JSON.stringify(body) };
    },
    streamParser: createMessagesStreamParser,
    // streamRawPredict writes Anthropic's own events.
    contentOnlyFrames: messagesContentFrames,
    parseStreamMessage: (message: SseMessage, first: boolean) => createMessagesStreamParser().parseStreamMessage(message, first),
    parseResponse: parseMessagesResponse,
    largeAnswerUsage: messagesAnswerUsage,
    parseError: parseVertexErrorBody,
  };

  const gemini: ProviderAdapter = {
    nativeApi: "gemini",
    hasEndMarker: false,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      return { url: url("google", model, request.stream ? "streamGenerateContent?alt=sse" : "generateContent"), headers, body: JSON.stringify(toGeminiBody(request, model)) };
    },
    streamParser: createGeminiStreamParser,
    parseStreamMessage: (message: SseMessage, first: boolean) => createGeminiStreamParser().parseStreamMessage(message, first),
    parseResponse: parseGeminiResponse,
    parseError: parseVertexErrorBody,
    buildEmbeddingRequest: (request, model) => ({ url: url("google", model, "predict"), headers, body: JSON.stringify(toVertexEmbeddingBody(request)) }),
    parseEmbeddingResponse: parseVertexEmbeddingResponse,
    forRequest: (_request, model) => (isClaude(model) ? claude : gemini),
  };
  return gemini;
}
