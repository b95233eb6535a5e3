import { createHash } from "node:crypto";
import { Ajv } from "ajv";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

/** One way an answer fails its schema: where (a JSON pointer into the answer, "" for the whole) and what. */
export interface Violation {
  path: string;
  message: string;
}

/** A schema compiled once, checking values against it. */
export type SchemaCheck = (value: unknown) => Violation[];

/** The schema itself is not a valid JSON Schema (draft 2020-12, or draft-07 when it says so), or references what it does not define. */
export class InvalidSchemaError extends Error {}

// One instance for every schema: `addUsedSchema: false` keeps schemas with an $id from
// colliding across requests. Formats are not checked (ajv-formats is not a dependency);
// unknown keywords are allowed, as providers' own extensions (propertyOrdering) appear.
const options = { allErrors: true, strict: false, addUsedSchema: false, validateFormats: false, logger: false } as const;
const ajv2020 = new Ajv2020(options);
// Schemas that declare draft-07 (the openai SDK's zod helpers, zod-to-json-schema) are read as draft-07.
const ajv07 = new Ajv(options);
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/** Compiled schemas by content hash; the oldest is dropped past the limit. */
const CACHE_LIMIT = 256;
const cache = new Map<string, SchemaCheck>();

/** Stable text of a JSON value: object keys sorted, so equal schemas hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A property name the model made up can be of any length: a violation quotes at most this much of it. */
const NAME_LIMIT = 100;

function toViolation(error: ErrorObject): Violation {
  const name: unknown = error.params.additionalProperty;
  const extra = typeof name === "string" ? `: "${name.length > NAME_LIMIT ? `${name.slice(0, NAME_LIMIT)}…` : name}"` : "";
  return { path: error.instancePath, message: `${error.message ?? error.keyword}${extra}` };
}

function compile(schema: Record<string, unknown>): SchemaCheck {
  let validate: ValidateFunction;
  const ajv = typeof schema.$schema === "string" && DRAFT_07.test(schema.$schema) ? ajv07 : ajv2020;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new InvalidSchemaError((err as Error).message);
  } finally {
    // The compiled function stays usable; ajv's own cache (keyed by object) would only grow.
    ajv.removeSchema(schema);
  }
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map(toViolation));
}

/** The check for a schema, compiled on first use; throws InvalidSchemaError. */
export function schemaCheck(schema: Record<string, unknown>): SchemaCheck {
  const key = createHash("sha256").update(canonicalJson(schema)).digest("base64url");
  let check = cache.get(key);
  if (check) {
    // Most recently used last: eviction takes the first.
    cache.delete(key);
  } else {
    check = compile(schema);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, check);
  return check;
}

/** How many schemas are compiled and held (for tests of the bound). */
export function cachedSchemas(): number {
  return cache.size;
}
