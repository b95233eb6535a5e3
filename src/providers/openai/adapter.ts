import { sameFormatBody } from "../same-format-body.js";
import { fitChatBodyIds } from "./tool-call-ids.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { ProviderAdapter } from "../provider.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import { toChatBody } from "./chat-request.js";
import { chatAnswerUsage, parseChatResponse } from "./chat-response.js";
import { chatContentFrames } from "./chat-content-frame.js";
import { DONE, parseChatChunk } from "./chat-stream.js";
import { parseEmbeddingResponse, toEmbeddingBody } from "./embeddings.js";
import { parseOpenAIErrorBody } from "./error-body.js";

export interface OpenAIAdapterConfig {
  baseURL: string;
  apiKey?: string;
  headers: Record<string, string>;
  /** The server accepts stream_options.include_usage. */
  streamUsageOption: boolean;
  /** OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens (the default). */
  maxTokensField?: "max_tokens" | "max_completion_tokens";
  /** The URL of an endpoint for a model; default `{baseURL}/{endpoint}`. Azure names the deployment in the path. */
  endpointURL?: (endpoint: OpenAIEndpoint, model: string) => string;
  /** The header carrying apiKey: `authorization: Bearer KEY` (the default), or Azure's `api-key: KEY`. */
  authHeader?: "authorization" | "api-key";
}

export type OpenAIEndpoint = "chat/completions" | "embeddings";

/** OpenAI Chat Completions (and embeddings), as served by OpenAI, Azure and every OpenAI-compatible server. */
export function createOpenAIChatAdapter(config: OpenAIAdapterConfig): ProviderAdapter {
  const endpointURL = config.endpointURL ?? ((endpoint: OpenAIEndpoint) => `${config.baseURL}/${endpoint}`);
  const headers: Record<string, string> = { "content-type": "application/json", ...config.headers };
  if (config.apiKey) {
    if (config.authHeader === "api-key") headers["api-key"] = config.apiKey;
    else headers.authorization = `Bearer ${config.apiKey}`;
  }

  return {
    nativeApi: "openai-chat",
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      const url = endpointURL("chat/completions", model);
      const build = () => toChatBody(request, model, { streamUsageOption: config.streamUsageOption, maxTokensField: config.maxTokensField ?? "max_tokens" });
      // Same wire format in and out: forward the client's body so that fields Tollgate
      // does not model (logprobs, service_tier, ...) reach the provider unchanged.
      // Ids from another provider may be too long for OpenAI (fitted, in pairs).
      const given = sameFormatBody(request, "openai-chat", model, build);
      if (!given) return { url, headers, body: JSON.stringify(build()) };
      const body = fitChatBodyIds(given);
      if (request.stream && config.streamUsageOption) {
        const given = body.stream_options;
        body.stream_options = { ...(given && typeof given === "object" ? given : {}), include_usage: true };
      }
      return { url, headers, body: JSON.stringify(body) };
    },
    parseStreamMessage(message: SseMessage, first: boolean) {
      if (message.data === DONE) return null;
      return parseChatChunk(message.data, first);
    },
    contentOnlyFrames: chatContentFrames,
    parseResponse: parseChatResponse,
    largeAnswerUsage: chatAnswerUsage,
    parseError: (status, text) => parseOpenAIErrorBody(text, status),
    buildEmbeddingRequest: (request, model) => ({ url: endpointURL("embeddings", model), headers, body: JSON.stringify(toEmbeddingBody(request, model)) }),
    parseEmbeddingResponse,
  };
}
