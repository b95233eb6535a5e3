import { sseFrame } from "../../sse/encode.js";
import type { InboundCodec } from "../inbound-codec.js";
import { parseChatRequest } from "./parse-request.js";

const DONE_FRAME = sseFrame("[DONE]");

/**
 * Chat Completions in. Every upstream today speaks Chat Completions too, so frames and
 * bodies are relayed as the provider sent them (tapped, never re-serialised).
 */
export const openaiChatCodec: InboundCodec = {
  api: "openai-chat",
  parseRequest: parseChatRequest,
  streamFrame(chunk, request) {
    // Tollgate always asks for usage; the client gets the usage-only chunk only if it asked.
    if (chunk.usageOnly && !request.includeUsage) return null;
    return sseFrame(chunk.raw);
  },
  streamEnd: () => DONE_FRAME,
  // openai-node and most clients raise a `data: {"error": ...}` frame as an APIError.
  streamError: (error) => sseFrame(JSON.stringify(error)),
  responseBody: (opened) => opened.raw,
};
