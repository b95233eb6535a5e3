#!/usr/bin/env node
import { CommandError, UsageError } from "./args.js";
import { alerts, ALERTS_USAGE } from "./commands/alerts.js";
import { audit, AUDIT_USAGE } from "./commands/audit.js";
import { check, CHECK_USAGE } from "./commands/check.js";
import { keys, KEYS_USAGE } from "./commands/keys.js";
import { launch, LAUNCH_USAGE } from "./commands/launch.js";
import { reprice, REPRICE_USAGE } from "./commands/reprice.js";
import { start, START_USAGE } from "./commands/start.js";
import { usage, USAGE_USAGE } from "./commands/usage.js";

const USAGE = `Usage:
${START_USAGE}
${CHECK_USAGE}
${KEYS_USAGE}
${USAGE_USAGE}
${AUDIT_USAGE}
${LAUNCH_USAGE}
${REPRICE_USAGE}
${ALERTS_USAGE}

Without --config, ./tollgate.config.{yaml,yml,json} is used, else the built-in simulator config.
keys, usage, launch, reprice and alerts talk to a running gateway's admin API: --url (default http://127.0.0.1:8787) and
the admin key from TOLLGATE_ADMIN_KEY (or --admin-key). Each command has --help.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  start: (argv) => start(argv, USAGE),
  check: (argv) => check(argv, USAGE),
  keys,
  usage,
  audit,
  launch,
  reprice,
  alerts,
};

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) throw new UsageError(`Unknown command "${command}".`, USAGE);
  if ((command === "start" || command === "check") && (argv.includes("--help") || argv.includes("-h"))) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  await run(argv.slice(1));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    // A usage error exits 2; 1 means a bad config, a failed start or an API error.
    process.stderr.write(`${err.message}\n${err.usage ? `${err.usage}\n` : ""}`);
    process.exitCode = 2;
    return;
  }
  if (err instanceof CommandError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
