import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import type { Validation } from "./tool.js";

// One instance for every tool: compiled schemas are cached on it. Tool schemas come from
// configs and MCP servers, so unknown keywords are tolerated rather than fatal.
const ajv = new Ajv2020({ allErrors: true, strict: false });

function describe(error: ErrorObject): string {
  const at = error.instancePath === "" ? "arguments" : `arguments${error.instancePath.replace(/\//g, ".")}`;
  return `${at} ${error.message ?? "is invalid"}`;
}

/** Compiles a JSON Schema (draft 2020-12) once; throws when the schema itself is invalid. */
export function compileSchema(schema: Record<string, unknown>): (args: unknown) => Validation {
  const validate = ajv.compile(schema);
  return (args) => (validate(args) ? { ok: true, args } : { ok: false, errors: (validate.errors ?? []).map(describe) });
}
