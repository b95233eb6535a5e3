type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const MAX_DEPTH = 6;

/** Supplies plausible string values: the prompt's key words in turn, then a stock word. */
class Words {
  private next = 0;
  constructor(private readonly words: readonly string[]) {}
  take(): string {
    if (this.words.length === 0) return "example";
    return this.words[this.next++ % this.words.length]!;
  }
}

function schemaType(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === "string" && t !== "null") ?? (type.includes("null") ? "null" : undefined);
  if (isSchema(schema.properties)) return "object";
  return undefined;
}

function valueFor(schema: unknown, words: Words, depth: number): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return words.take();
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && variants.length > 0) {
    return valueFor(variants.find((v) => isSchema(v) && v.type !== "null") ?? variants[0], words, depth + 1);
  }
  switch (schemaType(schema)) {
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return schema.items === undefined ? [] : [valueFor(schema.items, words, depth + 1)];
    case "object":
      return objectFor(schema, words, depth + 1);
    default:
      return words.take();
  }
}

function objectFor(schema: Schema, words: Words, depth: number): Record<string, unknown> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : undefined;
  // The required properties when the schema names them, every property otherwise.
  const keys = required ?? Object.keys(properties);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = valueFor(properties[key], words, depth);
  return out;
}

/**
 * JSON arguments for a tool from its JSON-schema parameters: strings get a plausible
 * word, numbers 1, booleans true. Escaped to ASCII so every token decodes cleanly.
 */
export function toolArguments(parameters: Record<string, unknown> | undefined, words: readonly string[]): string {
  const value = parameters ? objectFor(parameters, new Words(words), 0) : {};
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
