import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { HttpRequestSpec, ProviderAdapter } from "../provider.js";
import { toChatBody } from "./chat-request.js";
import { parseChatResponse } from "./chat-response.js";
import { DONE, parseChatChunk } from "./chat-stream.js";
import { parseOpenAIErrorBody } from "./error-body.js";

export interface OpenAIAdapterConfig {
  baseURL: string;
  apiKey?: string;
  headers: Record<string, string>;
  /** The server accepts stream_options.include_usage. */
  streamUsageOption: boolean;
  /** OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens (the default). */
  maxTokensField?: "max_tokens" | "max_completion_tokens";
}

/** OpenAI Chat Completions, as served by OpenAI and every OpenAI-compatible server. */
export function createOpenAIChatAdapter(config: OpenAIAdapterConfig): ProviderAdapter {
  const url = `${config.baseURL}/chat/completions`;
  const headers: Record<string, string> = { "content-type": "application/json", ...config.headers };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;

  return {
    nativeApi: "openai-chat",
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      if (request.inbound.api !== "openai-chat") {
        return { url, headers, body: JSON.stringify(toChatBody(request, model, { streamUsageOption: config.streamUsageOption, maxTokensField: config.maxTokensField ?? "max_tokens" })) };
      }
      // Same wire format in and out: forward the client's body so that fields Tollgate
      // does not model (logprobs, seed, service_tier, ...) reach the provider unchanged.
      const body: Record<string, unknown> = { ...request.inbound.body, model };
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
    parseResponse: parseChatResponse,
    parseError: (status, text) => parseOpenAIErrorBody(text, status),
  };
}
