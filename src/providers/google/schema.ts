/**
 * JSON Schema (what OpenAI-style tools and response formats carry) to the OpenAPI subset
 * Gemini's `parameters` and `responseSchema` accept. Gemini rejects the whole request on a
 * key it does not know (additionalProperties, $schema, $ref, ...), so only known keys are
 * kept; local `$ref`s are inlined, `type: [T, "null"]` becomes `nullable`, `oneOf` becomes
 * `anyOf`, `const` becomes a one-value enum, and an object with no properties loses its
 * `properties` (Gemini wants them non-empty).
 */

type Json = Record<string, unknown>;

/** The keys of Gemini's Schema object (v1beta). */
const KEPT = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);

/** Formats Gemini accepts, by type; others are dropped. */
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(["enum", "date-time"]),
  number: new Set(["float", "double"]),
  integer: new Set(["int32", "int64"]),
};

const MAX_DEPTH = 32;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Resolves `#/$defs/Name`, `#/definitions/Name` (any local JSON pointer) against the root. */
function resolvePointer(root: Json, ref: string): Json | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

/** Merges allOf members into one schema: properties and required are combined, other keys first wins. */
function mergeAll(members: Json[]): Json {
  const out: Json = {};
  const properties: Json = {};
  const required = new Set<string>();
  for (const m of members) {
    for (const [k, v] of Object.entries(m)) {
      if (k === "properties" && isObject(v)) Object.assign(properties, v);
      else if (k === "required" && Array.isArray(v)) {
        for (const r of v) if (typeof r === "string") required.add(r);
      } else if (!(k in out)) out[k] = v;
    }
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  if (required.size > 0) out.required = [...required];
  return out;
}

function convert(schema: unknown, root: Json, refs: readonly string[], depth: number): Json {
  if (!isObject(schema) || depth > MAX_DEPTH) return {};
  let node = schema;
  if (typeof node.$ref === "string") {
    const ref = node.$ref;
    // A recursive type cannot be inlined: it becomes an unconstrained object.
    const target = refs.includes(ref) ? undefined : resolvePointer(root, ref);
    if (!target) return { type: "object" };
    const { $ref: _ignored, ...siblings } = node;
    return convert({ ...target, ...siblings }, root, [...refs, ref], depth + 1);
  }
  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    node = mergeAll([rest, ...(allOf as unknown[]).filter(isObject).map((m) => convert(m, root, refs, depth + 1))]);
  }

  const out: Json = {};
  let nullable = node.nullable === true;

  // type: ["string", "null"] → type: "string", nullable: true; several types → anyOf.
  let types: string[] = [];
  if (typeof node.type === "string") types = [node.type];
  else if (Array.isArray(node.type)) types = node.type.filter((t): t is string => typeof t === "string");
  if (types.includes("null")) {
    nullable = true;
    types = types.filter((t) => t !== "null");
  }
  if (types.length === 1) out.type = types[0];
  else if (types.length > 1) out.anyOf = types.map((t) => convert({ ...node, type: t, anyOf: undefined, oneOf: undefined }, root, refs, depth + 1));

  const alternatives = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (alternatives && out.anyOf === undefined) {
    const kept = (alternatives as unknown[]).filter((a) => {
      if (isObject(a) && a.type === "null") {
        nullable = true;
        return false;
      }
      return true;
    });
    const converted = kept.map((a) => convert(a, root, refs, depth + 1));
    // One alternative left (`anyOf: [T, null]`, as Pydantic writes Optional[T]): T itself.
    if (converted.length === 1) Object.assign(out, converted[0]);
    else if (converted.length > 1) out.anyOf = converted;
  }

  for (const [key, value] of Object.entries(node)) {
    if (!KEPT.has(key) || key === "type" || key === "anyOf" || key === "nullable" || value === undefined) continue;
    switch (key) {
      case "properties": {
        if (!isObject(value)) break;
        const props = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, convert(sub, root, refs, depth + 1)]));
        if (Object.keys(props).length > 0) out.properties = props;
        break;
      }
      case "items":
        out.items = convert(Array.isArray(value) ? value[0] : value, root, refs, depth + 1);
        break;
      case "enum":
        // Gemini's enums are strings; other values cannot be expressed.
        if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) out.enum = value;
        break;
      case "format": {
        const allowed = typeof out.type === "string" ? FORMATS[out.type] : undefined;
        if (typeof value === "string" && allowed?.has(value)) out.format = value;
        break;
      }
      default:
        out[key] = value;
    }
  }
  if (typeof node.const === "string" && out.enum === undefined) {
    out.enum = [node.const];
    out.type ??= "string";
  }
  if (Array.isArray(out.required)) {
    const props = isObject(out.properties) ? out.properties : {};
    const required = (out.required as unknown[]).filter((r): r is string => typeof r === "string" && r in props);
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  if (nullable) out.nullable = true;
  return out;
}

/** A JSON Schema as Gemini accepts it. */
export function toGeminiSchema(schema: Record<string, unknown>): Record<string, unknown> {
  return convert(schema, schema, [], 0);
}

/**
 * A tool's parameters for a function declaration; undefined for a function that takes
 * nothing (Gemini rejects an object schema without properties).
 */
export function toGeminiParameters(schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  const converted = toGeminiSchema(schema);
  if (converted.type === "object" && converted.properties === undefined && converted.anyOf === undefined) return undefined;
  return Object.keys(converted).length === 0 ? undefined : converted;
}
