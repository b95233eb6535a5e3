import { parseOptions, UsageError } from "../args.js";
import { ToolRegistry } from "../../tools/registry.js";
import { loadConfig } from "../config-file.js";

export const CHECK_USAGE = "  tollgate check --config FILE                           validate a config and list every error";

export async function check(argv: string[], usage: string): Promise<void> {
  const { values } = parseOptions(argv, { config: { type: "string", short: "c" } }, usage);
  if (!values.config) throw new UsageError("check needs --config FILE", usage);
  const config = await loadConfig(values.config);
  // Tool names on routes and URL templates are checked where the gateway checks them.
  await new ToolRegistry(config).close();
  process.stdout.write(`${values.config}: OK (${Object.keys(config.providers).length} providers, ${Object.keys(config.models).length} models)\n`);
}
