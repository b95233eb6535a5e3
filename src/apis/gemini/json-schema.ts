type Json = Record<string, unknown>;

const MAX_DEPTH = 32;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * A Gemini Schema (OpenAPI subset: upper-case types from the SDKs' `Type` enum, `nullable`,
 * `propertyOrdering`) as the JSON Schema every other part of Tollgate and every other
 * provider reads. Keys without a JSON Schema meaning are left out.
 */
export function jsonSchemaFromGemini(schema: unknown, depth = 0): Json {
  if (!isObject(schema) || depth > MAX_DEPTH) return {};
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case "type":
        if (typeof value === "string" && value !== "TYPE_UNSPECIFIED") out.type = value.toLowerCase();
        break;
      case "properties":
        if (isObject(value)) out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, jsonSchemaFromGemini(sub, depth + 1)]));
        break;
      case "items":
        out.items = jsonSchemaFromGemini(value, depth + 1);
        break;
      case "anyOf":
        if (Array.isArray(value)) out.anyOf = value.map((sub) => jsonSchemaFromGemini(sub, depth + 1));
        break;
      case "nullable":
      case "propertyOrdering":
        break;
      default:
        out[key] = value;
    }
  }
  if (schema.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: "null" }];
  }
  return out;
}
