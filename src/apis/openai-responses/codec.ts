import type { InboundCodec } from "../inbound-codec.js";
import { encodeResponsesBody } from "./encode-response.js";
import { passthroughResponsesEncoder, translatingResponsesEncoder } from "./encode-stream.js";
import { parseResponsesRequest } from "./parse-request.js";

/** OpenAI Responses in (POST /v1/responses): relayed untouched from Responses upstreams, translated from others. */
export const openaiResponsesCodec: InboundCodec = {
  api: "openai-responses",
  parseRequest: parseResponsesRequest,
  streamEncoder: (request, upstream) => (upstream.api === "openai-responses" ? passthroughResponsesEncoder() : translatingResponsesEncoder(request)),
  responseBody: (request, upstream) => (upstream.api === "openai-responses" ? upstream.raw : encodeResponsesBody(upstream.response, request)),
  errorBody: (error) => error.body,
};
