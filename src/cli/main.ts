#!/usr/bin/env node
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ConfigError, loadConfigFile, type ResolvedConfig } from "../config/resolve.js";
import { createGateway } from "../gateway.js";
import { listen } from "../server/listen.js";
import { banner } from "./banner.js";

const USAGE = `Usage:
  tollgate start [--config FILE] [--port N] [--host H]   start the gateway (default 127.0.0.1:8787)
  tollgate check --config FILE                           validate a config and list every error

Without --config, ./tollgate.config.{yaml,yml,json} is used, else the built-in simulator config.`;

const BUILT_IN_CONFIG = fileURLToPath(new URL("../../config/default.yaml", import.meta.url));

function findConfig(given: string | undefined): string {
  if (given) return given;
  const local = ["tollgate.config.yaml", "tollgate.config.yml", "tollgate.config.json"].find((f) => existsSync(f));
  return local ?? BUILT_IN_CONFIG;
}

async function load(file: string): Promise<ResolvedConfig | undefined> {
  try {
    return await loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
    return undefined;
  }
}

async function start(values: { config?: string; port?: string; host?: string }): Promise<void> {
  const file = findConfig(values.config);
  const config = await load(file);
  if (!config) return;
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`--port must be a number from 0 to 65535, got "${values.port}".\n`);
    process.exitCode = 1;
    return;
  }
  const gateway = createGateway({ config });
  const running = await listen(gateway, { ...(values.host ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) });
  process.stdout.write(banner(config, running.url, file === BUILT_IN_CONFIG ? "built-in (simulator)" : file));
  const shutdown = (signal: string) => {
    process.stdout.write(`${signal}: draining ${gateway.inflight} in-flight request(s)...\n`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

async function check(values: { config?: string }): Promise<void> {
  if (!values.config) {
    process.stderr.write(`check needs --config FILE\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const config = await load(values.config);
  if (config) process.stdout.write(`${values.config}: OK (${Object.keys(config.providers).length} providers, ${Object.keys(config.models).length} models)\n`);
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string", short: "c" }, port: { type: "string", short: "p" }, host: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    // A mistyped option is a usage error (2), like an unknown command; 1 means a bad config or a failed start.
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === "start") return start(values);
  if (command === "check") return check(values);
  process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
