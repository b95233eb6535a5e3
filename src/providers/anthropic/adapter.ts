import { sameFormatBody } from "../same-format-body.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { ProviderAdapter } from "../provider.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import { parseAnthropicErrorBody } from "./error-body.js";
import { toMessagesBody } from "./messages-request.js";
import { messagesAnswerUsage, parseMessagesResponse } from "./messages-response.js";
import { messagesContentFrames } from "./messages-content-frame.js";
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
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": config.version, ...config.headers };
  if (config.apiKey) headers["x-api-key"] = config.apiKey;

  /** A same-format request keeps the client's beta opt-ins: its `anthropic-beta` header and `?beta=true`. */
  const forwarded = (request: CanonicalRequest, path: string): Pick<HttpRequestSpec, "url" | "headers"> => {
    const forward = request.inbound.api === "anthropic-messages" ? request.inbound.forward : undefined;
    if (!forward) return { url: `${config.baseURL}${path}`, headers };
    return { url: `${config.baseURL}${path}${forward.query ? `?${forward.query}` : ""}`, headers: { ...headers, ...forward.headers } };
  };

  return {
    nativeApi: "anthropic-messages",
    // message_stop ends every stream; one that ends without it was cut.
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      const build = () => toMessagesBody(request, model, { defaultMaxTokens: config.defaultMaxTokens });
      // Same wire format in and out: the client's body as sent (cache_control, thinking,
      // server tools, ...), with the target's model name, unless the gateway rewrote it.
      return { ...forwarded(request, "/messages"), body: JSON.stringify(sameFormatBody(request, "anthropic-messages", model, build) ?? build()) };
    },
    buildCountTokensRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      // count_tokens takes a Messages body without max_tokens and stream.
      const {
        max_tokens: _max,
        stream: _stream,
        ...body
      } = sameFormatBody(request, "anthropic-messages", model, () => toMessagesBody(request, model, { defaultMaxTokens: 1 })) ?? toMessagesBody(request, model, { defaultMaxTokens: 1 });
      return { ...forwarded(request, "/messages/count_tokens"), body: JSON.stringify(body) };
    },
    streamParser: createMessagesStreamParser,
    contentOnlyFrames: messagesContentFrames,
    /** One message on its own, without the stream's earlier events (see streamParser). */
    parseStreamMessage(message: SseMessage, first: boolean) {
      return createMessagesStreamParser().parseStreamMessage(message, first);
    },
    parseResponse: parseMessagesResponse,
    largeAnswerUsage: messagesAnswerUsage,
    parseError: (status, text) => parseAnthropicErrorBody(text, status),
  };
}
