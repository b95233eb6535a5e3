import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import type { Validation } from "./tool.js";

// One instance for every tool: compiled schemas are cached on it. Tool schemas come from
// configs and MCP servers, so unknown keywords are tolerated rather than fatal.
const ajv = new Ajv2020({ allErrors: true, strict: false });

function describe(error: ErrorObject): string {
  const at = error.instancePath === "" ? "arguments" : `arguments${error.instancePath.replace(/\//g, ".")}`;
  return `${at} ${error.message ?? "is invalid"}`;
}

/**
 * Compiles a JSON Schema once, as draft 2020-12; throws when the schema itself is invalid.
 * A declared `$schema` is set aside: MCP servers often say draft-07, whose keywords for
 * tool arguments (types, properties, required, patterns, enums) mean the same in 2020-12.
 */
export function compileSchema(schema: Record<string, unknown>): (args: unknown) => Validation {
  const { $schema: _declared, ...body } = schema;
  const validate = ajv.compile(body);
  return (args) => (validate(args) ? { ok: true, args } : { ok: false, errors: (validate.errors ?? []).map(describe) });
}
