import { z } from "zod";
import { priceInput } from "../config/schema.js";
import { InvalidRequestError } from "../errors/gateway-error.js";
import type { UsageGroupBy } from "../ledger/usage-query.js";
import { PriceTable, type PriceInput } from "../pricing/price-table.js";
import { reprice } from "../ledger/reprice.js";
import { applyRepricing, listRepricingRuns, RepricingTooLargeError } from "../ledger/repricing-run.js";
import { costFields, formatUsd, nanosNumber } from "../pricing/money.js";
import { parseRange } from "./range.js";
import { iso } from "./time.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { parseWith } from "./validate.js";

const priceMap = z.record(z.string().min(1), z.union([priceInput, z.array(priceInput).min(1)]));
/** A price table as in config `prices`, or as data/prices.json writes it (under `models`). */
const priceTable = z.union([z.strictObject({ $comment: z.string().optional(), models: priceMap }).transform((t) => t.models), priceMap]);

/** The price table a request brings, over the gateway's own: a model it lists without dates replaces that model's prices. */
function tableFrom(value: unknown, services: AdminServices, param: string): { table: PriceTable; json: string } {
  const parsed = priceTable.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidRequestError("invalid_request", `Invalid value for ${param}: ${issue ? `${issue.path.join(".") || "table"}: ${issue.message}` : "not a price table"}.`, { param });
  }
  const given: Record<string, PriceInput | PriceInput[]> = parsed.data;
  return { table: new PriceTable(PriceTable.shipped(), services.config.prices, given), json: JSON.stringify(given) };
}

function parsePricesParam(text: string, services: AdminServices) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError("invalid_request", "Invalid value for prices: expected a JSON price table (model → { input, output, ... } USD per 1M tokens).", { param: "prices" });
  }
  return tableFrom(value, services, "prices").table;
}

/** GET /admin/usage?prices=…: each group's recorded cost beside what it would have cost under the given prices. */
export async function repricedUsage(
  services: AdminServices,
  q: { group_by: UsageGroupBy; tag?: string | undefined; prices: string; as_model?: string | undefined },
  range: { from: number; to: number },
) {
  const table = parsePricesParam(q.prices, services);
  const groups = await reprice(await services.store(), table, {
    groupBy: q.group_by,
    ...range,
    ...(q.tag !== undefined ? { tag: q.tag } : {}),
    ...(q.as_model !== undefined ? { asModel: q.as_model } : {}),
  });
  return {
    object: "usage_repriced",
    group_by: q.group_by,
    ...(q.tag !== undefined ? { tag: q.tag } : {}),
    as_model: q.as_model ?? null,
    from: iso(range.from),
    to: iso(range.to),
    totals: groups.map((g) => ({
      group: g.group,
      requests: g.requests,
      input_tokens: g.inputTokens,
      output_tokens: g.outputTokens,
      recorded_cost_nanos: nanosNumber(g.recordedNanos),
      recorded_cost_usd: formatUsd(g.recordedNanos),
      repriced_cost_nanos: nanosNumber(g.repricedNanos),
      repriced_cost_usd: formatUsd(g.repricedNanos),
      delta_usd: formatUsd(g.repricedNanos - g.recordedNanos),
      unpriced_requests: g.unpriced,
      estimated: g.estimated,
    })),
  };
}

/** No `actor`: a run records who is signed in (the principal), never what the body claims. */
const runBody = z.strictObject({
  prices: z.unknown(),
  from: z.string().min(1),
  to: z.string().min(1),
  note: z.string().max(2000).optional(),
});

const runView = (r: Awaited<ReturnType<typeof listRepricingRuns>>[number]) => ({
  id: r.id,
  object: "repricing_run",
  created_at: iso(r.createdAt),
  actor: r.actor,
  note: r.note,
  from: iso(r.from),
  to: iso(r.to),
  rows_changed: r.rowsChanged,
  old: costFields(r.oldCostNanos),
  new: costFields(r.newCostNanos),
});

/**
 * POST /admin/repricing-runs: applies a price table to the recorded costs of a range, as a
 * recorded run (who, when, which rows). Who is the caller's principal (`admin-key:NAME` or
 * `user:ID`, as in the audit log); a body naming an `actor` is refused with a 400 rather than
 * ignored, so a client that meant to attribute the run to someone else learns it cannot.
 */
export const createRepricingRun: AdminHandler = async ({ body, services, principal, now = Date.now() }) => {
  if (typeof body === "object" && body !== null && "actor" in body) {
    throw new InvalidRequestError("invalid_request", "actor is not taken from the body: a repricing run records who is signed in (the admin key or the session).", { param: "actor" });
  }
  const b = parseWith(runBody, body, "body");
  const range = parseRange(b, now);
  const { table, json } = tableFrom(b.prices, services, "prices");
  try {
    const run = await applyRepricing(await services.store(), table, { ...range, actor: principal.actor, note: b.note, pricesJson: json, now });
    return { status: 201, body: runView(run) };
  } catch (err) {
    if (err instanceof RepricingTooLargeError) throw new InvalidRequestError("invalid_request", err.message, { param: "from" });
    throw err;
  }
};

/** GET /admin/repricing-runs: the runs so far, newest first. */
export const getRepricingRuns: AdminHandler = async ({ query, services }) => {
  parseWith(z.strictObject({}), query, "query");
  const runs = await listRepricingRuns(await services.store(), 100);
  return { status: 200, body: { object: "list", data: runs.map(runView) } };
};

export const repricingQueryFields = {
  /** A JSON price table to re-cost the range with, beside the recorded cost. */
  prices: z
    .string()
    .min(2)
    .max(64 * 1024)
    .optional(),
  /** With prices: re-cost as if every request had gone to this model. */
  as_model: z.string().min(1).max(200).optional(),
};
