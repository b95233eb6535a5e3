import { adminClient, CONNECTION_HELP, connectionOptions } from "../admin-client.js";
import { CommandError, parseOptions, UsageError } from "../args.js";

export const ALERTS_USAGE = `  tollgate alerts test [--webhook NAME]                  send a sample alert to the configured webhooks`;

interface TestResult {
  id: string;
  results: { webhook: string; format: string; signed: boolean; ok: boolean; error: string | null }[];
}

export async function alerts(argv: string[]): Promise<void> {
  const help = `Usage:\n${ALERTS_USAGE}\n\n${CONNECTION_HELP}`;
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const { values, positionals } = parseOptions(argv, { ...connectionOptions, webhook: { type: "string" } }, help);
  if (positionals[0] !== "test") throw new UsageError(positionals[0] === undefined ? "Missing subcommand (test)." : `Unknown subcommand "${positionals[0]}".`, help);
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`, help);
  const client = adminClient(values, help);
  const result = await client.request<TestResult>("POST", "/admin/alerts/test", values.webhook === undefined ? {} : { webhook: values.webhook });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else for (const r of result.results) process.stdout.write(`${r.ok ? "sent" : "FAILED"}  ${r.webhook} (${r.format}${r.signed ? ", signed" : ""})${r.error ? `: ${r.error}` : ""}\n`);
  const failed = result.results.filter((r) => !r.ok);
  if (failed.length > 0) throw new CommandError(`${failed.length} of ${result.results.length} webhooks did not accept the test alert.`);
}
