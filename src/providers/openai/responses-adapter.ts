import { sameFormatBody } from "../same-format-body.js";
import { fitResponsesBodyIds } from "./tool-call-ids.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { SseMessage } from "../../sse/decoder.js";
import type { ProviderAdapter } from "../provider.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import { parseOpenAIErrorBody } from "./error-body.js";
import { toResponsesBody } from "./responses-request.js";
import { parseResponsesBody, responsesAnswerUsage } from "./responses-response.js";
import { ResponsesStreamParser } from "./responses-stream.js";

export interface OpenAIResponsesAdapterConfig {
  baseURL: string;
  apiKey?: string;
  headers: Record<string, string>;
}

/** OpenAI's Responses API (POST {baseURL}/responses). */
export function createOpenAIResponsesAdapter(config: OpenAIResponsesAdapterConfig): ProviderAdapter {
  const url = `${config.baseURL}/responses`;
  const headers: Record<string, string> = { "content-type": "application/json", ...config.headers };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  // For callers that parse one stream at a time; the pipeline asks streamParser() for one per stream.
  let current: ResponsesStreamParser | undefined;

  return {
    nativeApi: "openai-responses",
    hasEndMarker: true,
    buildRequest(request: CanonicalRequest, model: string): HttpRequestSpec {
      const build = () => toResponsesBody(request, model);
      // Same wire format in and out: the client's body, with the target's model, unless the gateway rewrote it.
      // Ids from another provider may be too long for OpenAI (fitted, in pairs).
      const given = sameFormatBody(request, "openai-responses", model, build);
      return { url, headers, body: JSON.stringify(given ? fitResponsesBodyIds(given) : build()) };
    },
    streamParser: () => new ResponsesStreamParser(),
    parseStreamMessage(message: SseMessage, first: boolean) {
      if (first || !current) current = new ResponsesStreamParser();
      return current.parseStreamMessage(message, first);
    },
    parseResponse: parseResponsesBody,
    largeAnswerUsage: responsesAnswerUsage,
    parseError: (status, text) => parseOpenAIErrorBody(text, status),
  };
}
