import type { InboundCodec } from "../inbound-codec.js";
import { passthroughMessagesEncoder, translatingMessagesEncoder } from "./encode-stream.js";
import { toMessagesResponse } from "./encode-response.js";
import { toAnthropicErrorBody } from "./error-body.js";
import { parseMessagesRequest } from "./parse-request.js";

/** Anthropic Messages in: relayed untouched from Anthropic upstreams, translated from others. */
export const anthropicMessagesCodec: InboundCodec = {
  api: "anthropic-messages",
  parseRequest: parseMessagesRequest,
  streamEncoder: (request, upstream) => (upstream.api === "anthropic-messages" ? passthroughMessagesEncoder() : translatingMessagesEncoder(request)),
  responseBody: (request, upstream) => (upstream.api === "anthropic-messages" ? upstream.raw : toMessagesResponse(upstream.response, request.model)),
  errorBody: toAnthropicErrorBody,
};
