import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { adminClient, CONNECTION_HELP, connectionOptions } from "../admin-client.js";
import { CommandError, parseOptions, UsageError } from "../args.js";
import { Progress } from "../progress.js";
import { renderTable, type Column } from "../table.js";

export const REPRICE_USAGE = `  tollgate reprice --prices FILE [--from T] [--to T] [--as-model ID] [--group-by key|user|team|model|tag|route]
                   [--tag NAME] [--json]                 what history would have cost under other prices, beside what was recorded
  tollgate reprice --prices FILE --from T --to T --apply [--note TEXT]
                                                         rewrite the recorded costs of the range: a recorded repricing run,
                                                         by the admin key's name`;

interface RepricedGroup {
  group: string | null;
  requests: number;
  recorded_cost_usd: string;
  repriced_cost_usd: string;
  delta_usd: string;
  unpriced_requests: number;
  estimated: boolean;
}

interface RepricedReport {
  group_by: string;
  tag?: string;
  as_model: string | null;
  from: string;
  to: string;
  totals: RepricedGroup[];
}

interface RepricingRun {
  id: string;
  created_at: string;
  actor: string;
  from: string;
  to: string;
  rows_changed: number;
  old: { cost_usd: string };
  new: { cost_usd: string };
}

const num = (header: string): Column => ({ header, align: "right" });

async function readPriceFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CommandError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new CommandError(`${file} is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(err as Error).message}`);
  }
}

export async function reprice(argv: string[]): Promise<void> {
  const help = `Usage:\n${REPRICE_USAGE}\n\nFILE: JSON or YAML, model → { input, output, cachedInput?, cacheWrite?, from? } in USD per 1M tokens (data/prices.json's format);
its models replace the gateway's prices for them. T: an ISO 8601 date or time, or epoch seconds/ms.\n${CONNECTION_HELP}`;
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const { values, positionals } = parseOptions(
    argv,
    {
      ...connectionOptions,
      prices: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "as-model": { type: "string" },
      "group-by": { type: "string" },
      tag: { type: "string" },
      apply: { type: "boolean" },
      note: { type: "string" },
    },
    help,
  );
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`, help);
  if (values.prices === undefined) throw new UsageError("--prices FILE is required.", help);
  const prices = await readPriceFile(values.prices);
  const client = adminClient(values, help);

  if (values.apply) {
    if (values.from === undefined || values.to === undefined) throw new UsageError("--apply needs --from and --to: a run rewrites an explicit range.", help);
    if (values["as-model"] !== undefined || values["group-by"] !== undefined) throw new UsageError("--as-model and --group-by go with a report, not with --apply.", help);
    const run = await new Progress().step("Repricing the range", () =>
      client.request<RepricingRun>("POST", "/admin/repricing-runs", { prices, from: values.from, to: values.to, ...(values.note !== undefined ? { note: values.note } : {}) }),
    );
    process.stdout.write(
      values.json
        ? `${JSON.stringify(run, null, 2)}\n`
        : `Repricing run ${run.id} by ${run.actor}: ${run.rows_changed} requests of ${run.from} to ${run.to} changed, ${run.old.cost_usd} USD → ${run.new.cost_usd} USD.\n`,
    );
    return;
  }

  const query = new URLSearchParams({ prices: JSON.stringify(prices) });
  if (values["group-by"] !== undefined) query.set("group_by", values["group-by"]);
  if (values.tag !== undefined) query.set("tag", values.tag);
  if (values.from !== undefined) query.set("from", values.from);
  if (values.to !== undefined) query.set("to", values.to);
  if (values["as-model"] !== undefined) query.set("as_model", values["as-model"]);
  const report = await new Progress().step("Re-costing the history", () => client.request<RepricedReport>("GET", `/admin/usage?${query}`));
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderRepriced(report));
}

/** Recorded and repriced cost side by side, per group. */
function renderRepriced(report: RepricedReport): string {
  const by = report.group_by === "tag" ? `tag "${report.tag}"` : report.group_by;
  let out = `Recorded cost and the cost under the given prices${report.as_model ? ` on ${report.as_model}` : ""}, by ${by}, ${report.from} to ${report.to}\n\n`;
  if (report.totals.length === 0) return `${out}No requests in this period.\n`;
  const notes = (g: RepricedGroup) => [g.estimated ? "estimated (other tokenizer)" : "", g.unpriced_requests > 0 ? `${g.unpriced_requests} unpriced` : ""].filter(Boolean).join("; ");
  out += renderTable(
    [
      { header: (report.group_by === "tag" ? `tag ${report.tag ?? ""}` : report.group_by).toUpperCase() },
      num("REQUESTS"),
      num("RECORDED (USD)"),
      num("REPRICED (USD)"),
      num("DELTA (USD)"),
      { header: "NOTES" },
    ],
    report.totals.map((g) => [g.group ?? "(none)", String(g.requests), g.recorded_cost_usd, g.repriced_cost_usd, g.delta_usd, notes(g)]),
  );
  return out;
}
