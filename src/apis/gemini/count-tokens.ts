import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { parseGenerateContentRequest } from "./parse-request.js";

/** `:countTokens`: its `contents`, or a whole `generateContentRequest` (system instruction and tools counted too). */
export function parseCountTokensRequest(body: unknown, model: string): CanonicalRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  const raw = body as Record<string, unknown>;
  const call = { model, stream: false };
  if (raw.generateContentRequest != null) return parseGenerateContentRequest(raw.generateContentRequest, call, "generateContentRequest");
  return parseGenerateContentRequest(raw, call);
}
