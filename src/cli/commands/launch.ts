import { spawn } from "node:child_process";
import { userInfo } from "node:os";
import type { KeyView } from "../../admin/key-view.js";
import type { KeyLimits } from "../../spec/identity.js";
import { adminClient, CONNECTION_HELP, connectionOptions, type AdminClient } from "../admin-client.js";
import { agentLaunch, AGENTS, type Agent } from "../agent-env.js";
import { CommandError, parseOptions, UsageError } from "../args.js";
import { budgets } from "./keys.js";

export const LAUNCH_USAGE = `  tollgate launch <claude|codex|gemini> [--user U] [--budget PERIOD:USD ...] [--bin PATH] [--keep-key] [-- AGENT ARGS]
                                                         start a coding agent on the gateway with a virtual key made for it`;

const HELP = `Usage:
${LAUNCH_USAGE}

Creates a virtual key for --user (default: your login name) with the budgets given, starts the
agent with its environment pointed at the gateway (--url) and that key, waits for it, then
revokes the key (--keep-key keeps it). The agent's spend shows in the ledger and the dashboard
under the user, tagged agent=<name>. --bin runs another executable than the agent's usual one.

${CONNECTION_HELP}`;

function isAgent(name: string | undefined): name is Agent {
  return (AGENTS as readonly string[]).includes(name ?? "");
}

/** Runs the agent to its end; resolves with its exit code (128 + signal number when killed). */
function run(bin: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: "inherit", env: { ...process.env, ...env } });
    // Ctrl-C reaches the agent (same process group); a TERM sent to tollgate alone is passed on.
    const forward = () => child.kill("SIGTERM");
    process.on("SIGTERM", forward);
    child.once("error", (err: NodeJS.ErrnoException) => {
      process.off("SIGTERM", forward);
      reject(err.code === "ENOENT" ? new CommandError(`"${bin}" was not found on PATH: install the agent, or pass --bin PATH.`) : err);
    });
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", forward);
      resolve(code ?? (signal === "SIGINT" ? 130 : 143));
    });
  });
}

async function revoke(client: AdminClient, id: string): Promise<void> {
  await client.request("DELETE", `/admin/keys/${encodeURIComponent(id)}`);
}

export async function launch(argv: string[]): Promise<void> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const agentArgs = split === -1 ? [] : argv.slice(split + 1);
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const { values, positionals } = parseOptions(
    own,
    { ...connectionOptions, user: { type: "string" }, budget: { type: "string", multiple: true }, bin: { type: "string" }, "keep-key": { type: "boolean" } },
    HELP,
  );
  const agent = positionals[0];
  if (!isAgent(agent)) throw new UsageError(`launch needs an agent: ${AGENTS.join(", ")}${agent ? ` (got "${agent}")` : ""}.`, HELP);
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}"; the agent's own arguments go after --.`, HELP);
  const user = values.user ?? userInfo().username;
  const limits: KeyLimits = {};
  const b = budgets(values.budget, HELP);
  if (b) limits.budgets = b;

  const client = adminClient(values, HELP);
  const created = await client.request<{ key: KeyView; secret: string }>("POST", "/admin/keys", {
    user_id: user,
    name: `${agent} (tollgate launch)`,
    tags: { agent },
    ...(b ? { limits } : {}),
  });
  process.stderr.write(`tollgate: ${agent} for ${user} on ${client.url} with key ${created.key.id}\n`);
  const setup = agentLaunch(agent, client.url, created.secret);
  let code: number;
  try {
    code = await run(values.bin ?? agent, [...setup.args, ...agentArgs], setup.env);
  } finally {
    if (!values["keep-key"]) await revoke(client, created.key.id);
  }
  process.exitCode = code;
}
