import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { HttpRequestSpec, ProviderAdapter } from "../provider.js";
import { parseAnthropicErrorBody } from "./error-body.js";
import { toMessagesBody } from "./messages-request.js";
import { parseMessagesResponse } from "./messages-response.js";
import { createMessagesStreamParser } from "./messages-stream.js";

export interface AnthropicAdapterConfig {
  baseURL: string;
  apiKey?: string;
  /** The `anthropic-version` header. */
  version: string;
  headers: Record<string, string>;
  /** max_tokens when the request sets none (the Messages API requires it). */
  defaultMaxTokens: number;
}

/** Anthropic's Messages API. */
export function createAnthropicAdapter(config: AnthropicAdapterConfig): ProviderAdapter {
  const url = `${config.baseURL}/messages`;
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": config.version, ...config.headers };
  if (config.apiKey) headers["x-api-key"] = config.apiKey;

  return {
    nativeApi: "anthropic-messages",
    // message_stop ends every stream; one that ends without it was cut.
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      if (request.inbound.api !== "anthropic-messages" || request.rebuilt) {
        return { url, headers, body: JSON.stringify(toMessagesBody(request, model, { defaultMaxTokens: config.defaultMaxTokens })) };
      }
      // Same wire format in and out: the client's body as sent (cache_control, thinking,
      // server tools, ...), with the target's model name.
      return { url, headers, body: JSON.stringify({ ...request.inbound.body, model }) };
    },
    streamParser: createMessagesStreamParser,
    /** One message on its own, without the stream's earlier events (see streamParser). */
    parseStreamMessage(message: SseMessage, first: boolean) {
      return createMessagesStreamParser().parseStreamMessage(message, first);
    },
    parseResponse: parseMessagesResponse,
    parseError: (status, text) => parseAnthropicErrorBody(text, status),
  };
}
