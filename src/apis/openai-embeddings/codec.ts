import { InternalError } from "../../errors/gateway-error.js";
import type { InboundCodec } from "../inbound-codec.js";
import type { WireApi } from "../../spec/canonical-request.js";
import { toEmbeddingList } from "./encode-response.js";
import { parseEmbeddingRequest } from "./parse-request.js";

/** Upstreams that answer embeddings in OpenAI's own shape (openai, openai-compatible, azure-openai). */
const OPENAI_SHAPED: ReadonlySet<WireApi> = new Set<WireApi>(["openai-chat", "openai-responses"]);

function neverStreams(): never {
  throw new InternalError(new Error("An embeddings request never streams."));
}

/**
 * OpenAI's embeddings API in (`POST /v1/embeddings`), answered in one JSON body. An
 * OpenAI-shaped upstream's body goes out byte for byte when its vectors are already in
 * the encoding the client asked for; otherwise (Gemini, or a server that ignored
 * `encoding_format`) the body is written from the canonical answer.
 */
export const openaiEmbeddingsCodec: InboundCodec = {
  api: "openai-embeddings",
  parseRequest: parseEmbeddingRequest,
  streamEncoder: neverStreams,
  responseBody: neverStreams,
  embeddingBody(request, upstream) {
    const wanted = request.embedding?.encodingFormat === "base64" ? "base64" : "float";
    if (OPENAI_SHAPED.has(upstream.api) && upstream.response.rawEncoding === wanted) return upstream.raw;
    return toEmbeddingList(request, upstream.response);
  },
  errorBody: (error) => error.body,
};
