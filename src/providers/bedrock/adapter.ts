import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import { toPlatformMessagesBody } from "../anthropic/platform-body.js";
import { messagesAnswerUsage, parseMessagesResponse } from "../anthropic/messages-response.js";
import { createMessagesStreamParser } from "../anthropic/messages-stream.js";
import type { ProviderAdapter } from "../provider.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import { toConverseBody } from "./converse-request.js";
import { parseConverseResponse } from "./converse-response.js";
import { createConverseStreamParser } from "./converse-stream.js";
import { parseBedrockEmbeddingResponse, toBedrockEmbeddingBody } from "./embeddings.js";
import { parseBedrockErrorBody } from "./error-body.js";
import { EventStreamDecoder } from "./event-stream-decoder.js";
import { InvokeStreamDecoder } from "./invoke-stream-decoder.js";
import { isAnthropicModel, modelPath } from "./model-id.js";

export interface BedrockAdapterConfig {
  /** https://bedrock-runtime.REGION.amazonaws.com, a VPC endpoint, or a test server; no trailing slash. */
  baseURL: string;
  headers: Record<string, string>;
  /** max_tokens for Claude requests that set none (Anthropic's body requires it). */
  defaultMaxTokens: number;
}

/** Claude's InvokeModel body version on Bedrock. */
export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";

/**
 * Amazon Bedrock. Every model answers through Converse / ConverseStream; a Claude model
 * asked by a Messages client goes through InvokeModel / InvokeModelWithResponseStream with
 * Anthropic's own body instead, so every Anthropic field (cache_control, thinking, ...)
 * reaches it and its events come back untouched. Streams are AWS binary event streams.
 * Signing (or the API key) is added by the transport (`createBedrockAuthorizer`).
 */
export function createBedrockAdapter(config: BedrockAdapterConfig): ProviderAdapter {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json", ...config.headers };
  const url = (model: string, action: string) => `${config.baseURL}/model/${modelPath(model)}/${action}`;

  const anthropic: ProviderAdapter = {
    nativeApi: "anthropic-messages",
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      const body = toPlatformMessagesBody(request, model, { version: BEDROCK_ANTHROPIC_VERSION, defaultMaxTokens: config.defaultMaxTokens, streamInBody: false });
      return { url: url(model, request.stream ? "invoke-with-response-stream" : "invoke"), headers, body: JSON.stringify(body) };
    },
    messageDecoder: () => new InvokeStreamDecoder(),
    streamParser: createMessagesStreamParser,
    parseStreamMessage: (message: SseMessage, first: boolean) => createMessagesStreamParser().parseStreamMessage(message, first),
    parseResponse: parseMessagesResponse,
    largeAnswerUsage: messagesAnswerUsage,
    parseError: parseBedrockErrorBody,
  };

  const converse: ProviderAdapter = {
    nativeApi: "bedrock-converse",
    // ConverseStream ends with the connection: complete once messageStop gave the finish.
    hasEndMarker: false,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      return { url: url(model, request.stream ? "converse-stream" : "converse"), headers, body: JSON.stringify(toConverseBody(request)) };
    },
    messageDecoder: () => new EventStreamDecoder(),
    streamParser: createConverseStreamParser,
    parseStreamMessage: (message: SseMessage, first: boolean) => createConverseStreamParser().parseStreamMessage(message, first),
    parseResponse: parseConverseResponse,
    parseError: parseBedrockErrorBody,
    buildEmbeddingRequest: (request, model) => ({ url: url(model, "invoke"), headers, body: JSON.stringify(toBedrockEmbeddingBody(request, model)) }),
    parseEmbeddingResponse: parseBedrockEmbeddingResponse,
    forRequest: (request, model) => (request.inbound.api === "anthropic-messages" && isAnthropicModel(model) ? anthropic : converse),
  };
  return converse;
}
