import { z } from "zod";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { fieldPath } from "../../errors/field-path.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalEmbeddingResponse } from "../../spec/embedding.js";
import type { EmbeddingInput } from "../../spec/embedding.js";

/** Google's limit on requests per batchEmbedContents call. */
const MAX_REQUESTS = 100;

/** One EmbedContentRequest: the fields Tollgate reads (taskType, title, ... reach Gemini upstreams untouched). */
const embedRequest = z.looseObject({
  model: z.string().nullish(),
  content: z.looseObject({ parts: z.array(z.looseObject({ text: z.string() })).min(1) }),
  outputDimensionality: z.number().int().positive().nullish(),
});
const batchRequest = z.looseObject({ requests: z.array(embedRequest).min(1).max(MAX_REQUESTS) });

type EmbedRequest = z.infer<typeof embedRequest>;

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new InvalidRequestError("invalid_request", "The request body must be a JSON object.");
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = fieldPath(issue.path);
  throw new InvalidRequestError("invalid_request", `${param || "body"}: ${issue.message}`, { param: param || null });
}

function canonical(model: string, requests: EmbedRequest[], body: Record<string, unknown>): CanonicalRequest {
  const sizes = new Set(requests.map((r) => r.outputDimensionality ?? undefined));
  // One canonical request has one vector length: a batch that mixes them is two requests.
  if (sizes.size > 1) throw new InvalidRequestError("invalid_request", "Every request of one batch must ask for the same outputDimensionality.", { param: "requests" });
  const embedding: EmbeddingInput = { input: requests.map((r) => r.content.parts.map((p) => p.text).join("")) };
  const [dimensions] = sizes;
  if (dimensions !== undefined) embedding.dimensions = dimensions;
  return { model, messages: [], stream: false, includeUsage: false, embedding, inbound: { api: "gemini-embeddings", body } };
}

/** `:embedContent`: one content, one vector. */
export function parseEmbedContentRequest(body: unknown, model: string): CanonicalRequest {
  return canonical(model, [parsed(embedRequest, body)], body as Record<string, unknown>);
}

/** `:batchEmbedContents`: one vector per request, in order (each request's own `model` names the same model as the path). */
export function parseBatchEmbedContentsRequest(body: unknown, model: string): CanonicalRequest {
  return canonical(model, parsed(batchRequest, body).requests, body as Record<string, unknown>);
}

export function toEmbedContentResponse(response: CanonicalEmbeddingResponse): string {
  return JSON.stringify({ embedding: { values: response.vectors[0] ?? [] } });
}

export function toBatchEmbedContentsResponse(response: CanonicalEmbeddingResponse): string {
  return JSON.stringify({ embeddings: response.vectors.map((values) => ({ values })) });
}
