import { createRequire } from "node:module";
import type { Ajv2020, ErrorObject } from "ajv/dist/2020.js";
import type { Validation } from "./tool.js";

// One instance for every tool: compiled schemas are cached on it. Tool schemas come from
// configs and MCP servers, so unknown keywords are tolerated rather than fatal. Loaded on
// first use, so that processes without tools (every CLI command) do not pay for it.
let ajv: Ajv2020 | undefined;
function validator(): Ajv2020 {
  if (!ajv) {
    const { Ajv2020: Ajv } = createRequire(import.meta.url)("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
    ajv = new Ajv({ allErrors: true, strict: false });
  }
  return ajv;
}

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
  const validate = validator().compile(body);
  return (args) => (validate(args) ? { ok: true, args } : { ok: false, errors: (validate.errors ?? []).map(describe) });
}
