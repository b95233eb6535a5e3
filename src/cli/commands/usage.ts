import { formatUsd } from "../../pricing/money.js";
import { adminClient, CONNECTION_HELP, connectionOptions } from "../admin-client.js";
import { parseOptions, UsageError } from "../args.js";
import { Progress } from "../progress.js";
import { renderTable, type Column } from "../table.js";

export const USAGE_USAGE = `  tollgate usage [--group-by key|user|team|model|tag|route] [--tag NAME] [--from T] [--to T]
                 [--granularity hour|day]                requests, tokens and spend (default: last 24 h by model)`;

interface UsageTotal {
  group: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  cost_usd: string;
  saved_nanos: number;
  saved_usd: string;
}

interface UsagePoint {
  bucket: string;
  group: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  cost_usd: string;
  saved_usd: string;
}

interface UsageReport {
  group_by: string;
  tag?: string;
  from: string;
  to: string;
  granularity: string | null;
  totals: UsageTotal[];
  series: UsagePoint[];
}

const num = (header: string): Column => ({ header, align: "right" });
const groupName = (g: string | null) => g ?? "(none)";
const bucketName = (b: string) => b.replace(/:00(\.000)?Z$/, "Z").replace("T", " ");

export async function usage(argv: string[]): Promise<void> {
  const help = `Usage:\n${USAGE_USAGE}\n\nT: an ISO 8601 date or time (2026-11-21, 2026-11-21T08:00Z; UTC unless an offset is given) or epoch seconds/ms.\n${CONNECTION_HELP}`;
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const { values, positionals } = parseOptions(
    argv,
    { ...connectionOptions, "group-by": { type: "string" }, tag: { type: "string" }, from: { type: "string" }, to: { type: "string" }, granularity: { type: "string" } },
    help,
  );
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`, help);
  const query = new URLSearchParams();
  if (values["group-by"] !== undefined) query.set("group_by", values["group-by"]);
  if (values.tag !== undefined) query.set("tag", values.tag);
  if (values.from !== undefined) query.set("from", values.from);
  if (values.to !== undefined) query.set("to", values.to);
  if (values.granularity !== undefined) query.set("granularity", values.granularity);
  const client = adminClient(values, help);
  const report = await new Progress().step("Computing the usage report", () => client.request<UsageReport>("GET", `/admin/usage${query.size > 0 ? `?${query}` : ""}`));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write(renderUsage(report));
}

/** Totals (with a TOTAL row), then the series when one was asked for. */
function renderUsage(report: UsageReport): string {
  const groupHeader = (report.group_by === "tag" ? `tag ${report.tag ?? ""}`.trim() : report.group_by).toUpperCase();
  let out = `Usage by ${report.group_by === "tag" ? `tag "${report.tag}"` : report.group_by}, ${report.from} to ${report.to}\n\n`;
  if (report.totals.length === 0) return `${out}No requests in this period.\n`;
  const sum = report.totals.reduce(
    (acc, t) => ({
      requests: acc.requests + t.requests,
      input: acc.input + t.input_tokens,
      output: acc.output + t.output_tokens,
      cost: acc.cost + BigInt(t.cost_nanos),
      saved: acc.saved + BigInt(t.saved_nanos),
    }),
    { requests: 0, input: 0, output: 0, cost: 0n, saved: 0n },
  );
  const rows = report.totals.map((t) => [groupName(t.group), String(t.requests), String(t.input_tokens), String(t.output_tokens), t.cost_usd, t.saved_usd]);
  if (report.totals.length > 1) rows.push(["TOTAL", String(sum.requests), String(sum.input), String(sum.output), formatUsd(sum.cost), formatUsd(sum.saved)]);
  out += renderTable([{ header: groupHeader }, num("REQUESTS"), num("INPUT TOKENS"), num("OUTPUT TOKENS"), num("COST (USD)"), num("SAVED (USD)")], rows);
  if (report.granularity && report.series.length > 0) {
    out += `\nBy ${report.granularity}:\n\n`;
    out += renderTable(
      [{ header: "BUCKET (UTC)" }, { header: groupHeader }, num("REQUESTS"), num("INPUT TOKENS"), num("OUTPUT TOKENS"), num("COST (USD)"), num("SAVED (USD)")],
      report.series.map((s) => [bucketName(s.bucket), groupName(s.group), String(s.requests), String(s.input_tokens), String(s.output_tokens), s.cost_usd, s.saved_usd]),
    );
  }
  return out;
}
