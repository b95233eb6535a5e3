import type { KeyView } from "../../admin/key-view.js";
import type { KeyLimits } from "../../spec/identity.js";
import { adminClient, CONNECTION_HELP, connectionOptions } from "../admin-client.js";
import { parseOptions, positiveInt, UsageError } from "../args.js";
import { renderTable, shortTime } from "../table.js";

export const KEYS_USAGE = `  tollgate keys create --user U [--team T] [--name N] [--models a,b] [--budget PERIOD:USD ...]
                      [--rpm N] [--tpm N] [--expires ISO] [--tag NAME=VALUE ...] [--origins URL,URL]
                                                         create a virtual key; prints its secret once
  tollgate keys list [--user U] [--team T] [--all]       list keys (--all: revoked ones too)
  tollgate keys revoke ID                                revoke a key at once`;

const BUDGET = /^(hour|day|month|total):\$?(\d+(?:\.\d+)?)$/;
const TAG = /^([A-Za-z0-9_.:-]{1,64})=([A-Za-z0-9_.:-]{1,64})$/;

export function budgets(values: string[] | undefined, usage: string): NonNullable<KeyLimits["budgets"]> | undefined {
  if (!values?.length) return undefined;
  return values.map((v) => {
    const match = BUDGET.exec(v.trim());
    const usd = match ? Number(match[2]) : 0;
    if (!match || !(usd > 0)) throw new UsageError(`--budget "${v}" must be PERIOD:USD with PERIOD one of hour, day, month, total and USD above 0, e.g. day:10.`, usage);
    return { period: match[1] as "hour" | "day" | "month" | "total", usd };
  });
}

function tags(values: string[] | undefined, usage: string): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const match = TAG.exec(v.trim());
    if (!match) throw new UsageError(`--tag "${v}" must be NAME=VALUE, each 1-64 of [A-Za-z0-9_.:-].`, usage);
    out[match[1]!] = match[2]!;
  }
  return out;
}

/** "day $10, rpm 60" */
function describeLimits(limits: KeyLimits): string {
  const parts = (limits.budgets ?? []).map((b) => [b.period, b.usd !== undefined ? `$${b.usd}` : "", b.tokens !== undefined ? `${b.tokens} tok` : ""].filter(Boolean).join(" "));
  if (limits.rpm !== undefined) parts.push(`rpm ${limits.rpm}`);
  if (limits.tpm !== undefined) parts.push(`tpm ${limits.tpm}`);
  return parts.join(", ") || "-";
}

async function create(argv: string[], usage: string): Promise<void> {
  const { values, positionals } = parseOptions(
    argv,
    {
      ...connectionOptions,
      user: { type: "string" },
      team: { type: "string" },
      name: { type: "string" },
      models: { type: "string" },
      budget: { type: "string", multiple: true },
      rpm: { type: "string" },
      tpm: { type: "string" },
      expires: { type: "string" },
      tag: { type: "string", multiple: true },
      origins: { type: "string" },
    },
    usage,
  );
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`, usage);
  if (!values.user) throw new UsageError("keys create needs --user U (the user the key's spend is attributed to).", usage);
  const limits: KeyLimits = {};
  const b = budgets(values.budget, usage);
  if (b) limits.budgets = b;
  const rpm = positiveInt(values.rpm, "--rpm", usage);
  if (rpm !== undefined) limits.rpm = rpm;
  const tpm = positiveInt(values.tpm, "--tpm", usage);
  if (tpm !== undefined) limits.tpm = tpm;
  const models = values.models
    ?.split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  const origins = values.origins
    ?.split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  const t = tags(values.tag, usage);
  const body = {
    user_id: values.user,
    ...(values.team !== undefined ? { team_id: values.team } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(models !== undefined ? { allowed_models: models } : {}),
    ...(origins !== undefined ? { allowed_origins: origins } : {}),
    ...(t ? { tags: t } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(values.expires !== undefined ? { expires_at: values.expires } : {}),
  };
  const client = adminClient(values, usage);
  const created = await client.request<{ key: KeyView; secret: string }>("POST", "/admin/keys", body);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    return;
  }
  const k = created.key;
  const details: [string, string][] = [
    ["id", k.id],
    ["user", k.user_id],
    ["team", k.team_id ?? "-"],
    ["name", k.name ?? "-"],
    ["models", k.allowed_models?.join(", ") ?? "all"],
    ...(k.allowed_origins ? [["origins", k.allowed_origins.join(", ")] as [string, string]] : []),
    ["limits", describeLimits(k.limits)],
    ["expires", k.expires_at ?? "never"],
  ];
  process.stdout.write(
    [
      `Created key ${k.id}.`,
      "",
      ...details.map(([label, value]) => `  ${label.padEnd(8)}${value}`),
      "",
      `  secret  ${created.secret}`,
      "",
      "This secret is shown once and cannot be retrieved again: Tollgate stores only its hash.",
      "Give it to the client now, as its API key (Authorization: Bearer <secret>).",
      "",
    ].join("\n"),
  );
}

async function list(argv: string[], usage: string): Promise<void> {
  const { values, positionals } = parseOptions(argv, { ...connectionOptions, user: { type: "string" }, team: { type: "string" }, all: { type: "boolean" } }, usage);
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`, usage);
  const query = new URLSearchParams();
  if (values.user !== undefined) query.set("user_id", values.user);
  if (values.team !== undefined) query.set("team_id", values.team);
  if (values.all) query.set("include_revoked", "true");
  const client = adminClient(values, usage);
  const page = await client.request<{ data: KeyView[] }>("GET", `/admin/keys${query.size > 0 ? `?${query}` : ""}`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return;
  }
  if (page.data.length === 0) {
    process.stdout.write(values.all ? "No keys.\n" : "No active keys (--all lists revoked ones too).\n");
    return;
  }
  const rows = page.data.map((k) => [
    k.id,
    k.name ?? "-",
    k.user_id,
    k.team_id ?? "-",
    k.prefix,
    k.allowed_models?.join(",") ?? "all",
    describeLimits(k.limits),
    k.status,
    shortTime(k.created_at),
    shortTime(k.expires_at),
  ]);
  const headers = ["ID", "NAME", "USER", "TEAM", "PREFIX", "MODELS", "LIMITS", "STATUS", "CREATED (UTC)", "EXPIRES (UTC)"];
  process.stdout.write(
    renderTable(
      headers.map((header) => ({ header })),
      rows,
    ),
  );
}

async function revoke(argv: string[], usage: string): Promise<void> {
  const { values, positionals } = parseOptions(argv, connectionOptions, usage);
  const id = positionals[0];
  if (!id) throw new UsageError("keys revoke needs the key's ID (see tollgate keys list).", usage);
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`, usage);
  const client = adminClient(values, usage);
  const result = await client.request<{ id: string; revoked: boolean }>("DELETE", `/admin/keys/${encodeURIComponent(id)}`);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `Revoked ${result.id}: requests with its secret now get 401.\n`);
}

const SUBCOMMANDS: Record<string, (argv: string[], usage: string) => Promise<void>> = { create, list, revoke };

export async function keys(argv: string[]): Promise<void> {
  const usage = `Usage:\n${KEYS_USAGE}\n\n${CONNECTION_HELP}`;
  const sub = argv[0];
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    if (sub === undefined) throw new UsageError("keys needs a subcommand: create, list or revoke.", usage);
    process.stdout.write(`${usage}\n`);
    return;
  }
  const run = SUBCOMMANDS[sub];
  if (!run) throw new UsageError(`Unknown keys subcommand "${sub}"; expected create, list or revoke.`, usage);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  await run(argv.slice(1), usage);
}
