import { CommandError, parseOptions, UsageError } from "../args.js";
import { ToolRegistry } from "../../tools/registry.js";
import { loadConfig } from "../config-file.js";
import { checkCloudCredentials } from "./check-credentials.js";

export const CHECK_USAGE = "  tollgate check --config FILE                           validate a config and list every error";

export async function check(argv: string[], usage: string): Promise<void> {
  const { values } = parseOptions(argv, { config: { type: "string", short: "c" } }, usage);
  if (!values.config) throw new UsageError("check needs --config FILE", usage);
  const config = await loadConfig(values.config);
  for (const warning of config.warnings) process.stderr.write(`warning: ${warning}\n`);
  // Tool names on routes and URL templates are checked where the gateway checks them.
  await new ToolRegistry(config).close();
  // Cloud providers fetch credentials at run time: say now which are missing or expired.
  const findings = await checkCloudCredentials(config.providers);
  for (const f of findings.filter((f) => f.ok)) process.stdout.write(`  ${f.path}: ${f.message}\n`);
  const missing = findings.filter((f) => !f.ok);
  if (missing.length > 0) throw new CommandError(`Credentials ${values.config}:\n${missing.map((f) => `  ${f.path}: ${f.message}`).join("\n")}`);
  process.stdout.write(`${values.config}: OK (${Object.keys(config.providers).length} providers, ${Object.keys(config.models).length} models)\n`);
}
