type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Subschemas a strict check must also pass. */
function children(schema: Json): unknown[] {
  const out: unknown[] = [];
  if (isObject(schema.properties)) out.push(...Object.values(schema.properties));
  for (const key of ["$defs", "definitions"]) if (isObject(schema[key])) out.push(...Object.values(schema[key]));
  if (schema.items !== undefined) out.push(schema.items);
  for (const key of ["anyOf", "allOf", "prefixItems"]) if (Array.isArray(schema[key])) out.push(...schema[key]);
  return out;
}

function strictNode(schema: unknown, depth: number): boolean {
  if (!isObject(schema) || depth > 32) return false;
  // OpenAI's strict mode wants every object closed and every property required.
  if (schema.type === "object" || isObject(schema.properties)) {
    const names = Object.keys(isObject(schema.properties) ? schema.properties : {});
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (schema.additionalProperties !== false || !names.every((n) => required.includes(n))) return false;
  }
  // oneOf and if/then/else have no strict equivalent.
  if (schema.oneOf !== undefined || schema.if !== undefined || schema.not !== undefined) return false;
  return children(schema).every((child) => strictNode(child, depth + 1));
}

/**
 * Whether OpenAI's strict structured outputs accept this schema: an object at the root,
 * every object closed (`additionalProperties: false`) with all its properties required.
 * Strict decoding then guarantees the shape; a schema that is not strict-ready is still
 * sent (not strict) and validated by the gateway.
 */
export function strictReady(schema: Json): boolean {
  return schema.type === "object" && strictNode(schema, 0);
}
