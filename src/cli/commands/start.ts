import { CommandError, parseOptions } from "../args.js";
import { banner } from "../banner.js";
import { Progress } from "../progress.js";
import { BUILT_IN_CONFIG, findConfig, loadConfig } from "../config-file.js";

export const START_USAGE = "  tollgate start [--config FILE] [--port N] [--host H]   start the gateway (default 127.0.0.1:8787)";

export async function start(argv: string[], usage: string): Promise<void> {
  const { values } = parseOptions(argv, { config: { type: "string", short: "c" }, port: { type: "string", short: "p" }, host: { type: "string" } }, usage);
  const file = findConfig(values.config);
  const config = await loadConfig(file);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new CommandError(`--port must be a number from 0 to 65535, got "${values.port}".`);
  // Loaded here, not at the top: the other commands (keys, usage, check) never need the gateway and its dependencies.
  const [{ createGateway }, { listen }] = await Promise.all([import("../../gateway.js"), import("../../server/listen.js")]);
  const gateway = createGateway({ config });
  // Migrations on a large or remote database can take a while: say so on stderr.
  await new Progress().step("Opening the database and applying migrations", () => gateway.ready);
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
