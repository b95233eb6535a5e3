import { z } from "zod";
import { InvalidRequestError } from "../errors/gateway-error.js";
import { fieldPath } from "../errors/field-path.js";
import type { CanonicalRequest, InboundApi } from "../spec/canonical-request.js";
import { InvalidSchemaError, schemaCheck } from "./schema-validator.js";

/** Tollgate's body field for a JSON Schema, for clients whose API has no field of its own (docs/structured-output.md). */
const SCHEMA_FIELD = "tollgate_response_schema";

const extension = z.strictObject({
  name: z.string().min(1).max(64).default("response"),
  schema: z.record(z.string(), z.unknown()),
  strict: z.boolean().optional(),
});

/** Where each API carries the schema, for the 400 that names it. */
const NATIVE_PARAM: Record<InboundApi, string> = {
  "openai-chat": "response_format.json_schema.schema",
  "openai-responses": "text.format.schema",
  "anthropic-messages": "output_config.format.schema",
  "openai-embeddings": SCHEMA_FIELD,
  gemini: "generationConfig.responseJsonSchema",
  "gemini-embeddings": SCHEMA_FIELD,
};

function fromExtension(request: CanonicalRequest, raw: unknown): CanonicalRequest {
  const parsed = extension.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = [SCHEMA_FIELD, fieldPath(issue.path)].filter(Boolean).join(".");
    throw new InvalidRequestError("invalid_request", `Invalid value for ${param}: ${issue.message}`, { param });
  }
  if (request.responseFormat?.type === "json_schema") {
    throw new InvalidRequestError("invalid_request", `Send the JSON Schema once: ${SCHEMA_FIELD} and ${NATIVE_PARAM[request.inbound.api]} both set.`, { param: SCHEMA_FIELD });
  }
  const { name, schema, strict } = parsed.data;
  // A Tollgate field: no upstream ever sees it.
  const dropped = request.dropped?.filter((f) => f !== SCHEMA_FIELD);
  const { dropped: _all, ...rest } = request;
  return { ...rest, ...(dropped?.length ? { dropped } : {}), responseFormat: { type: "json_schema", name, schema, ...(strict !== undefined ? { strict } : {}) } };
}

/**
 * The request's JSON Schema, from the API's own field or Tollgate's extension, compiled
 * here so that an invalid one is a 400 before any budget is reserved or upstream called.
 */
export function withResponseSchema(request: CanonicalRequest): CanonicalRequest {
  const raw = request.inbound.body[SCHEMA_FIELD];
  const out = raw === undefined || raw === null ? request : fromExtension(request, raw);
  const format = out.responseFormat;
  if (format?.type !== "json_schema") return out;
  const param = raw === undefined || raw === null ? NATIVE_PARAM[out.inbound.api] : `${SCHEMA_FIELD}.schema`;
  if (out.embedding) throw new InvalidRequestError("invalid_request", "Embeddings take no JSON Schema.", { param });
  if (out.n !== undefined && out.n > 1) throw new InvalidRequestError("unsupported_parameter", "n > 1 cannot be combined with a JSON Schema: ask for one answer per request.", { param: "n" });
  try {
    schemaCheck(format.schema);
  } catch (err) {
    if (!(err instanceof InvalidSchemaError)) throw err;
    throw new InvalidRequestError("invalid_response_schema", `The JSON Schema in ${param} is invalid: ${err.message}`, { param });
  }
  return out;
}
