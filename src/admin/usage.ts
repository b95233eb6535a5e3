import { z } from "zod";
import { queryUsage } from "../ledger/usage-query.js";
import { ledgerScope } from "../orgs/scope.js";
import { moneyFields } from "../pricing/money.js";
import { checkBuckets, granularityField, parseRange, rangeFields } from "./range.js";
import { repricedUsage, repricingQueryFields } from "./repricing.js";
import { iso } from "./time.js";
import type { AdminHandler } from "./types.js";
import { invalidField, parseWith } from "./validate.js";

const usageQuery = z.strictObject({
  group_by: z.enum(["key", "user", "team", "model", "tag", "route"]).default("model"),
  ...rangeFields,
  granularity: granularityField,
  /** The tag name to group by (group_by=tag). */
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "a tag name is 1-64 of [A-Za-z0-9_.:-]")
    .optional(),
  ...repricingQueryFields,
});

const bucketOf = (bucket: number | string) => (typeof bucket === "number" ? iso(bucket) : bucket);

/**
 * GET /admin/usage: requests, tokens and spend from the ledger, grouped, with an optional
 * time series. Money is integer nano-dollars (`cost_nanos`) and a 6-decimal USD string
 * (`cost_usd`); `saved_*` is what cache hits and idempotent replays did not spend. Defaults: the last 24 hours, grouped by model.
 * Only the caller's share of the ledger: a team admin's teams, a member's own requests.
 */
export const getUsage: AdminHandler = async ({ query, services, principal, now = Date.now() }) => {
  const q = parseWith(usageQuery, query, "query");
  const { from, to } = parseRange(q, now);
  if (q.group_by === "tag" && q.tag === undefined) throw invalidField("tag", "group_by=tag needs tag=NAME, the tag to group by.");
  if (q.group_by !== "tag" && q.tag !== undefined) throw invalidField("tag", "tag=NAME names the tag to group by, so it goes with group_by=tag.");
  checkBuckets({ from, to }, q.granularity);
  if (q.as_model !== undefined && q.prices === undefined) throw invalidField("as_model", "as_model re-costs with a price table, so it goes with prices=….");
  if (q.prices !== undefined) {
    if (q.granularity) throw invalidField("granularity", "a repriced report has totals only; leave out granularity.");
    return { status: 200, body: await repricedUsage(services, { ...q, prices: q.prices }, { from, to }) };
  }
  const result = await queryUsage(await services.store(), {
    groupBy: q.group_by,
    from,
    to,
    ...(q.granularity ? { granularity: q.granularity } : {}),
    ...(q.tag !== undefined ? { tag: q.tag } : {}),
    scope: ledgerScope(principal),
  });
  return {
    status: 200,
    body: {
      object: "usage",
      group_by: q.group_by,
      ...(q.tag !== undefined ? { tag: q.tag } : {}),
      from: iso(from),
      to: iso(to),
      granularity: q.granularity ?? null,
      totals: result.totals.map((t) => ({
        group: t.group,
        requests: t.requests,
        input_tokens: t.inputTokens,
        output_tokens: t.outputTokens,
        ...moneyFields(t.costNanos, t.savedNanos),
      })),
      series: result.series.map((s) => ({
        bucket: bucketOf(s.bucket),
        group: s.group,
        requests: s.requests,
        input_tokens: s.inputTokens,
        output_tokens: s.outputTokens,
        ...moneyFields(s.costNanos, s.savedNanos),
      })),
    },
  };
};
