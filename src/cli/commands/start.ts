import { randomBytes } from "node:crypto";
import { CommandError, parseOptions } from "../args.js";
import { banner } from "../banner.js";
import { Progress } from "../progress.js";
import { BUILT_IN_CONFIG, findConfig, loadConfig } from "../config-file.js";

export const START_USAGE = "  tollgate start [--config FILE] [--port N] [--host H]   start the gateway (default 127.0.0.1:8787)";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function start(argv: string[], usage: string): Promise<void> {
  const { values } = parseOptions(argv, { config: { type: "string", short: "c" }, port: { type: "string", short: "p" }, host: { type: "string" } }, usage);
  const file = findConfig(values.config);
  const config = await loadConfig(file);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new CommandError(`--port must be a number from 0 to 65535, got "${values.port}".`);
  // A first local start has no admin keys, so no dashboard: bound to this machine only, it
  // gets a one-time admin key (gone when the process exits), printed as a sign-in link. An
  // open gateway stays open to clients (config.open).
  const host = values.host ?? config.server.host;
  const localAdminKey = config.adminKeys.length === 0 && LOOPBACK.has(host) ? `tga_${randomBytes(24).toString("base64url")}` : undefined;
  if (localAdminKey) {
    config.adminKeys.push(localAdminKey);
    config.admin.keys.push({ secret: localAdminKey, role: "owner", teams: [], name: "one-time local key" });
  }
  // Loaded here, not at the top: the other commands (keys, usage, check) never need the gateway and its dependencies.
  const [{ createGateway }, { listen }] = await Promise.all([import("../../gateway.js"), import("../../server/listen.js")]);
  const gateway = createGateway({ config });
  // Migrations on a large or remote database can take a while: say so on stderr.
  await new Progress().step("Opening the database and applying migrations", () => gateway.ready);
  const running = await listen(gateway, { ...(values.host ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) });
  process.stdout.write(banner(config, running.url, file === BUILT_IN_CONFIG ? "built-in (simulator)" : file, localAdminKey));
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
