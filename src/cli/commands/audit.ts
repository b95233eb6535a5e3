import { AuditLog } from "../../audit/audit-log.js";
import { Redactor } from "../../errors/redact.js";
import { openStore } from "../../store/open-store.js";
import { CommandError, parseOptions, UsageError } from "../args.js";
import { findConfig, loadConfig } from "../config-file.js";

export const AUDIT_USAGE = `  tollgate audit verify [--config FILE] [--json]          check the audit log's hash chain in the gateway's database
                                                         (exit 0 intact, 1 broken, naming the first bad entry)`;

/**
 * Reads the database itself, not the admin API: whoever could alter the log could alter
 * what a running gateway says about it.
 */
async function verify(argv: string[], usage: string): Promise<void> {
  const { values, positionals } = parseOptions(argv, { config: { type: "string", short: "c" }, json: { type: "boolean" } }, usage);
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`, usage);
  const config = await loadConfig(findConfig(values.config));
  const sql = await openStore(config.databaseUrl);
  try {
    const verdict = await new AuditLog(() => Promise.resolve(sql), new Redactor()).verify();
    if (values.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
    if (!verdict.ok) throw new CommandError(`Audit log BROKEN at entry ${verdict.seq}: ${verdict.reason}. The ${verdict.entries} entries before it are intact.`);
    if (!values.json) {
      process.stdout.write(
        verdict.head
          ? `Audit log intact: ${verdict.entries} entries; head #${verdict.head.seq} ${verdict.head.hash}\n(Keep the head hash elsewhere: a later run that no longer reaches it means entries were cut from the end.)\n`
          : "Audit log intact: no entries yet.\n",
      );
    }
  } finally {
    await sql.close();
  }
}

export async function audit(argv: string[]): Promise<void> {
  const usage = `Usage:\n${AUDIT_USAGE}`;
  const sub = argv[0];
  if (sub === "--help" || sub === "-h" || sub === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (sub !== "verify") throw new UsageError(sub === undefined ? "audit needs a subcommand: verify." : `Unknown audit subcommand "${sub}"; expected verify.`, usage);
  await verify(argv.slice(1), usage);
}
