import { InternalError } from "../../errors/gateway-error.js";
import type { InboundCodec } from "../inbound-codec.js";
import { parseCountTokensRequest } from "./count-tokens.js";
import { parseBatchEmbedContentsRequest, parseEmbedContentRequest, toBatchEmbedContentsResponse, toEmbedContentResponse } from "./embeddings.js";
import { toGenerateContentResponse } from "./encode-response.js";
import { passthroughGeminiEncoder, translatingGeminiEncoder } from "./encode-stream.js";
import { toGeminiErrorBody } from "./error-body.js";
import { parseGenerateContentRequest } from "./parse-request.js";
import type { GeminiMethod } from "./route-path.js";

function notThisMethod(): never {
  throw new InternalError(new Error("This Gemini method does not answer that way."));
}

/** generateContent and streamGenerateContent: relayed untouched from Gemini upstreams, translated from others. */
function generateCodec(model: string, stream: boolean): InboundCodec {
  return {
    api: "gemini",
    parseRequest: (body) => parseGenerateContentRequest(body, { model, stream }),
    streamEncoder: (request, upstream) => (upstream.api === "gemini" ? passthroughGeminiEncoder() : translatingGeminiEncoder(request)),
    responseBody: (request, upstream) => (upstream.api === "gemini" ? upstream.raw : toGenerateContentResponse(upstream.response, request.model)),
    errorBody: toGeminiErrorBody,
  };
}

/**
 * The codec for one Gemini call: the model and the method come from the path
 * (`/v1beta/models/{model}:{method}`), so each request gets its own.
 */
export function geminiCodec(model: string, method: GeminiMethod): InboundCodec {
  switch (method) {
    case "generateContent":
      return generateCodec(model, false);
    case "streamGenerateContent":
      return generateCodec(model, true);
    case "countTokens":
      return {
        api: "gemini",
        parseRequest: (body) => parseCountTokensRequest(body, model),
        streamEncoder: notThisMethod,
        responseBody: notThisMethod,
        tokenCountBody: (totalTokens) => JSON.stringify({ totalTokens }),
        errorBody: toGeminiErrorBody,
      };
    case "embedContent":
    case "batchEmbedContents":
      return {
        api: "gemini-embeddings",
        parseRequest: (body) => (method === "embedContent" ? parseEmbedContentRequest(body, model) : parseBatchEmbedContentsRequest(body, model)),
        streamEncoder: notThisMethod,
        responseBody: notThisMethod,
        embeddingBody: (_request, upstream) => (method === "embedContent" ? toEmbedContentResponse(upstream.response) : toBatchEmbedContentsResponse(upstream.response)),
        errorBody: toGeminiErrorBody,
      };
  }
}
