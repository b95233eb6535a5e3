import { z } from "zod";
import { counterName, outranks, rulesFromKeyLimits } from "../budgets/counter-lines.js";
import type { BudgetRule } from "../budgets/types.js";
import { windowOf } from "../budgets/windows.js";
import { queryActiveSubjects } from "../ledger/active-subjects-query.js";
import type { Sql } from "../store/sql.js";
import { keyStatus } from "./key-view.js";
import { iso } from "./time.js";
import type { AdminHandler } from "./types.js";
import { parseWith } from "./validate.js";

/** A "*" rule has a counter per subject: the biggest spenders of its window are shown, at most this many. */
const MAX_SUBJECTS_PER_RULE = 50;

interface Line {
  source: "config" | "key";
  rule: BudgetRule;
  subject: string;
  counter: string;
}

/** The subjects a rule has counters for now: the one it names, or, for a wildcard, those active in its window. */
async function subjectsOf(sql: Sql, rule: BudgetRule, since: number): Promise<string[]> {
  if (rule.scope !== "tag") return rule.id === "*" ? queryActiveSubjects(sql, rule.scope, since, MAX_SUBJECTS_PER_RULE) : [rule.id];
  if (rule.id === "*") return queryActiveSubjects(sql, "tag", since, MAX_SUBJECTS_PER_RULE);
  const eq = rule.id.indexOf("=");
  if (eq < 0) return [];
  return rule.id.slice(eq + 1) === "*" ? queryActiveSubjects(sql, "tag", since, MAX_SUBJECTS_PER_RULE, rule.id.slice(0, eq)) : [rule.id];
}

async function linesOf(sql: Sql, rules: readonly BudgetRule[], source: Line["source"], now: number): Promise<Line[]> {
  const lines: Line[] = [];
  for (const rule of rules) {
    const window = windowOf(rule.period, now);
    for (const subject of await subjectsOf(sql, rule, Math.max(0, window.start))) {
      lines.push({ source, rule, subject, counter: counterName(rule, subject, window.label) });
    }
  }
  return lines;
}

const budgetsQuery = z.strictObject({});

/**
 * GET /admin/budgets: every budget and rate limit with a counter in its current window,
 * and how much of it is used, read from the budget store itself (memory or Redis), the
 * same counters requests reserve against: `spent` is settled usage, `reserved` is held by
 * requests in flight. Amounts are in the unit's integer form (nano-dollars for usd).
 */
export const getBudgets: AdminHandler = async ({ query, services, now = Date.now() }) => {
  parseWith(budgetsQuery, query, "query");
  const sql = await services.store();
  const keys = (await (await services.keyStore()).list()).filter((k) => keyStatus(k, now) === "active");
  const all = [...(await linesOf(sql, services.config.budgets.rules, "config", now)), ...(await linesOf(sql, keys.flatMap((k) => rulesFromKeyLimits(k.id, k.limits)), "key", now))];
  // A counter several rules land on is shown once, with the rule requests are held to (see linesFor).
  const chosen = new Map<string, Line>();
  for (const line of all) {
    const current = chosen.get(line.counter);
    if (!current || outranks(line.rule, current.rule)) chosen.set(line.counter, line);
  }
  const lines = [...chosen.values()];
  const states = await services.budgetStore.read(lines.map((l) => l.counter));
  return {
    status: 200,
    body: {
      object: "list",
      store: services.budgetStore.kind,
      data: lines.map((line, i) => {
        const window = windowOf(line.rule.period, now);
        const state = states[i]!;
        return {
          object: "budget",
          source: line.source,
          scope: line.rule.scope,
          rule_id: line.rule.id,
          subject: line.subject,
          period: line.rule.period,
          unit: line.rule.unit,
          limit: line.rule.limit,
          spent: state.spent,
          reserved: state.reserved,
          window_start: Number.isFinite(window.start) ? iso(window.start) : null,
          resets_at: Number.isFinite(window.end) ? iso(window.end) : null,
        };
      }),
    },
  };
};
