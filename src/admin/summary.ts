import { z } from "zod";
import { querySummary } from "../ledger/summary-query.js";
import { ledgerScope } from "../orgs/scope.js";
import { moneyFields } from "../pricing/money.js";
import { parseRange, rangeFields } from "./range.js";
import { iso } from "./time.js";
import type { AdminHandler } from "./types.js";
import { parseWith } from "./validate.js";

const summaryQuery = z.strictObject(rangeFields);

/** GET /admin/summary?from&to: the dashboard's totals over the caller's share of the ledger (defaults: the last 24 hours). */
export const getSummary: AdminHandler = async ({ query, services, principal, now = Date.now() }) => {
  const { from, to } = parseRange(parseWith(summaryQuery, query, "query"), now);
  const s = await querySummary(await services.store(), from, to, ledgerScope(principal));
  return {
    status: 200,
    body: {
      object: "summary",
      from: iso(from),
      to: iso(to),
      requests: s.requests,
      errors: s.errors,
      error_rate: s.requests === 0 ? 0 : s.errors / s.requests,
      input_tokens: s.inputTokens,
      output_tokens: s.outputTokens,
      ...moneyFields(s.costNanos, s.savedNanos),
      cache_hits: s.cacheHits,
      tag_names: s.tagNames,
    },
  };
};
