import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { ProviderAdapter } from "../provider.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import { parseGeminiEmbeddingResponse, resourceName, toGeminiEmbeddingBody } from "./embeddings.js";
import { parseGeminiErrorBody } from "./error-body.js";
import { toGeminiBody } from "./request.js";
import { geminiSameFormatBody } from "./same-format.js";
import { parseGeminiResponse } from "./response.js";
import { createGeminiStreamParser } from "./stream.js";

export interface GoogleAdapterConfig {
  /** e.g. https://generativelanguage.googleapis.com/v1beta, without a trailing slash. */
  baseURL: string;
  apiKey?: string;
  headers: Record<string, string>;
}

/**
 * Google's Gemini API (generateContent). The key goes in the `x-goog-api-key` header,
 * never in the URL's `?key=`, so that it cannot end up in a logged URL.
 */
export function createGoogleAdapter(config: GoogleAdapterConfig): ProviderAdapter {
  const headers: Record<string, string> = { "content-type": "application/json", ...config.headers };
  if (config.apiKey) headers["x-goog-api-key"] = config.apiKey;
  const url = (model: string, method: string) => `${config.baseURL}/${resourceName(model).split("/").map(encodeURIComponent).join("/")}:${method}`;

  return {
    nativeApi: "gemini",
    // The stream ends with the connection: complete only once every candidate said why it finished.
    hasEndMarker: false,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      const target = request.stream ? url(model, "streamGenerateContent?alt=sse") : url(model, "generateContent");
      const build = () => toGeminiBody(request, model);
      return { url: target, headers, body: JSON.stringify(geminiSameFormatBody(request, model, build) ?? build()) };
    },
    streamParser: createGeminiStreamParser,
    // Without the per-stream parser (which the pipeline uses), each frame is read on its own.
    parseStreamMessage: (message: SseMessage, first: boolean) => createGeminiStreamParser().parseStreamMessage(message, first),
    parseResponse: parseGeminiResponse,
    parseError: (status, text) => parseGeminiErrorBody(text, status),
    buildEmbeddingRequest: (request, model) => ({ url: url(model, "batchEmbedContents"), headers, body: JSON.stringify(toGeminiEmbeddingBody(request, model)) }),
    parseEmbeddingResponse: parseGeminiEmbeddingResponse,
  };
}
