import type { InboundCodec } from "../inbound-codec.js";
import { passthroughChatEncoder, translatingChatEncoder } from "./encode-stream.js";
import { toChatCompletion } from "./encode-response.js";
import { parseChatRequest } from "./parse-request.js";

/** Chat Completions in: relayed untouched from Chat Completions upstreams, translated from others. */
export const openaiChatCodec: InboundCodec = {
  api: "openai-chat",
  parseRequest: parseChatRequest,
  streamEncoder: (request, upstream) => (upstream.api === "openai-chat" ? passthroughChatEncoder(request) : translatingChatEncoder(request)),
  responseBody: (request, upstream) => (upstream.api === "openai-chat" ? upstream.raw : toChatCompletion(upstream.response, request.model)),
  errorBody: (error) => error.body,
};
