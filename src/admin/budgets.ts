import { z } from "zod";
import { counterName, outranks, rulesFromLimits } from "../budgets/counter-lines.js";
import type { BudgetRule } from "../budgets/types.js";
import { windowOf } from "../budgets/windows.js";
import { queryActiveSubjects } from "../ledger/active-subjects-query.js";
import type { KeyRecord } from "../keys/types.js";
import type { Principal } from "../orgs/principal.js";
import { inTeams, keyVisible, seesAll } from "../orgs/scope.js";
import type { UserRecord } from "../orgs/types.js";
import type { Sql } from "../store/sql.js";
import { keyStatus } from "./key-view.js";
import { iso } from "./time.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { parseWith } from "./validate.js";

/** A "*" rule has a counter per subject: the biggest spenders of its window are shown, at most this many. */
const MAX_SUBJECTS_PER_RULE = 50;

interface Line {
  source: "config" | "key" | "team" | "user";
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

/** Which counters a caller may see: their teams', their keys', their users' (a member: their own); tag budgets are organisation-wide. */
function lineVisibility(p: Principal, keys: Map<string, KeyRecord>, users: Map<string, UserRecord>) {
  if (seesAll(p)) return () => true;
  return (scope: BudgetRule["scope"], subject: string): boolean => {
    switch (scope) {
      case "team":
        return p.role !== "member" && inTeams(p, subject);
      case "key": {
        const key = keys.get(subject);
        return key !== undefined && keyVisible(p, key);
      }
      case "user": {
        if (p.role === "member") return subject === p.userId;
        const user = users.get(subject);
        return user?.teams.some((t) => inTeams(p, t)) ?? false;
      }
      case "tag":
        return false;
    }
  };
}

/**
 * GET /admin/budgets: every budget and rate limit (config rules, and the limits of keys, users
 * and teams) the caller may see with a counter in its current window,
 * and how much of it is used, read from the budget store itself (memory or Redis), the
 * same counters requests reserve against: `spent` is settled usage, `reserved` is held by
 * requests in flight. Amounts are in the unit's integer form (nano-dollars for usd).
 */
export const getBudgets: AdminHandler = async ({ query, services, principal, now = Date.now() }) => {
  parseWith(budgetsQuery, query, "query");
  return { status: 200, body: { object: "list", store: services.budgetStore.kind, data: await readBudgets(services, principal, now) } };
};

/** What reading budgets needs: no audit log, since it changes nothing. */
export type BudgetReader = Pick<AdminServices, "config" | "store" | "keyStore" | "orgs" | "budgetStore">;

/** The budget lines `principal` may see, with their counters' state now (GET /admin/budgets' data, and the alert service's input). */
export async function readBudgets(services: BudgetReader, principal: Principal, now: number) {
  const sql = await services.store();
  const allKeys = await (await services.keyStore()).list({ includeRevoked: true });
  const keys = allKeys.filter((k) => keyStatus(k, now) === "active");
  const orgs = await services.orgs.store();
  const teams = (await orgs.listTeams()).filter((t) => t.disabledAt === undefined);
  const users = await orgs.listUsers();
  const all = [
    ...(await linesOf(sql, services.config.budgets.rules, "config", now)),
    ...(await linesOf(
      sql,
      keys.flatMap((k) => rulesFromLimits("key", k.id, k.limits)),
      "key",
      now,
    )),
    ...(await linesOf(
      sql,
      users.filter((u) => u.disabledAt === undefined).flatMap((u) => rulesFromLimits("user", u.id, u.limits)),
      "user",
      now,
    )),
    ...(await linesOf(
      sql,
      teams.flatMap((t) => rulesFromLimits("team", t.id, t.limits)),
      "team",
      now,
    )),
  ];
  // A counter several rules land on is shown once, with the rule requests are held to (see linesFor).
  const chosen = new Map<string, Line>();
  for (const line of all) {
    const current = chosen.get(line.counter);
    if (!current || outranks(line.rule, current.rule)) chosen.set(line.counter, line);
  }
  const visible = lineVisibility(principal, new Map(allKeys.map((k) => [k.id, k])), new Map(users.map((u) => [u.id, u])));
  const lines = [...chosen.values()].filter((l) => visible(l.rule.scope, l.subject));
  const states = await services.budgetStore.read(lines.map((l) => l.counter));
  return lines.map((line, i) => {
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
  });
}
