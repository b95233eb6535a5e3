import type { InboundCodec } from "../inbound-codec.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { anthropicMessagesCodec } from "./codec.js";
import { parseMessagesRequest } from "./parse-request.js";

/** POST /v1/messages/count_tokens: a Messages body without max_tokens, parsed as one and kept as sent; answered with a count. */
export const countTokensCodec: InboundCodec = {
  ...anthropicMessagesCodec,
  parseRequest(body: unknown): CanonicalRequest {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return parseMessagesRequest(body);
    const request = parseMessagesRequest({ max_tokens: 1, ...body, stream: false });
    request.inbound.body = body as Record<string, unknown>;
    delete request.maxOutputTokens;
    return request;
  },
  tokenCountBody: (inputTokens) => JSON.stringify({ input_tokens: inputTokens }),
};
