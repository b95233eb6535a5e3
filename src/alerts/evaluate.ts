import { formatUsd } from "../pricing/money.js";
import { queryUsage, type UsageGroupBy } from "../ledger/usage-query.js";
import { NANOS_PER_USD } from "../pricing/price-table.js";
import type { Sql } from "../store/sql.js";
import type { AlertRule } from "../config/alerts-schema.js";
import type { Alert } from "./types.js";

/** A budget and how much of it is used, as GET /admin/budgets reports it. */
export interface BudgetLine {
  scope: string;
  subject: string;
  period: string;
  unit: "usd" | "tokens" | "requests";
  limit: number;
  spent: number;
  /** Start of the budget's current window (epoch ms); 0 for a "total" budget. */
  windowStart: number;
}

/** What the rules look at. */
export interface AlertInputs {
  sql: Sql;
  now: number;
  budgets(): Promise<BudgetLine[]>;
  /** Targets whose breaker has not been closed since `since` (epoch ms). */
  unhealthyTargets(): { target: string; since: number }[];
  /** Records of this instance waiting in the ledger's spool. */
  spooled(): Promise<number>;
}

const HOUR_MS = 3_600_000;
const amount = (unit: BudgetLine["unit"], n: number) => (unit === "usd" ? `$${formatUsd(n)}` : `${n} ${unit}`);

async function budgetAlerts(rule: Extract<AlertRule, { kind: "budget" }>, inputs: AlertInputs): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const line of await inputs.budgets()) {
    if (rule.scope !== undefined && line.scope !== rule.scope) continue;
    const percent = (line.spent / line.limit) * 100;
    for (const threshold of rule.thresholds) {
      if (percent < threshold) continue;
      alerts.push({
        ruleId: rule.id,
        kind: "budget",
        severity: threshold >= 100 ? "critical" : "warning",
        subject: `${line.scope} ${line.subject} ${line.period} budget ≥ ${threshold}%`,
        windowStart: line.windowStart,
        summary: `${line.scope} ${line.subject} has used ${Math.floor(percent)}% of its ${line.period} budget (${amount(line.unit, line.spent)} of ${amount(line.unit, line.limit)}).`,
        details: { scope: line.scope, subject: line.subject, period: line.period, unit: line.unit, limit: line.limit, spent: line.spent, threshold_percent: threshold },
      });
    }
  }
  return alerts;
}

/** Spend per subject in the last whole window against the average of the windows before it (rollups for whole hours). */
async function spendRateAlerts(rule: Extract<AlertRule, { kind: "spend_rate" }>, inputs: AlertInputs): Promise<Alert[]> {
  const windowMs = rule.windowHours * HOUR_MS;
  const current = Math.floor(inputs.now / HOUR_MS) * HOUR_MS - windowMs;
  const grouping = rule.per.startsWith("tag:") ? { groupBy: "tag" as const, tag: rule.per.slice(4) } : { groupBy: rule.per as Exclude<UsageGroupBy, "tag"> };
  const recent = await queryUsage(inputs.sql, { ...grouping, from: current, to: current + windowMs });
  const trailing = await queryUsage(inputs.sql, { ...grouping, from: current - rule.trailingWindows * windowMs, to: current });
  const before = new Map(trailing.totals.map((t) => [t.group, t.costNanos]));
  const alerts: Alert[] = [];
  for (const { group, costNanos: spent } of recent.totals) {
    const average = (before.get(group) ?? 0) / rule.trailingWindows;
    if (spent < rule.minUsd * NANOS_PER_USD || spent <= rule.factor * average) continue;
    const who = group ?? "(none)";
    alerts.push({
      ruleId: rule.id,
      kind: "spend_rate",
      severity: "warning",
      subject: `${rule.per} ${who}`,
      windowStart: current,
      summary: `${rule.per} ${who} spent $${formatUsd(spent)} in ${rule.windowHours} h, ${average > 0 ? `${(spent / average).toFixed(1)}×` : "far over"} its average of $${formatUsd(Math.round(average))} over the ${rule.trailingWindows} windows before.`,
      details: { per: rule.per, subject: who, window_hours: rule.windowHours, spent_nanos: spent, trailing_average_nanos: Math.round(average) },
    });
  }
  return alerts;
}

function breakerAlerts(rule: Extract<AlertRule, { kind: "breaker_open" }>, inputs: AlertInputs): Alert[] {
  return inputs
    .unhealthyTargets()
    .filter((t) => inputs.now - t.since >= rule.forSeconds * 1000)
    .map((t) => ({
      ruleId: rule.id,
      kind: "breaker_open",
      severity: "critical" as const,
      subject: t.target,
      // Once per target and hour while it lasts, whichever instance sees it.
      windowStart: Math.floor(inputs.now / HOUR_MS) * HOUR_MS,
      summary: `The circuit breaker of ${t.target} has been open for ${Math.round((inputs.now - t.since) / 1000)} s.`,
      details: { target: t.target, open_since: new Date(t.since).toISOString() },
    }));
}

/** Providers whose requests of the last whole window failed upstream (status ≥ 500) too often. */
async function errorRateAlerts(rule: Extract<AlertRule, { kind: "error_rate" }>, inputs: AlertInputs): Promise<Alert[]> {
  const windowMs = rule.windowMinutes * 60_000;
  const to = Math.floor(inputs.now / windowMs) * windowMs;
  const rows = await inputs.sql.query<{ provider: string; requests: number; errors: number }>(
    `SELECT provider, COUNT(*) AS requests, COALESCE(SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END), 0) AS errors
       FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 AND provider IS NOT NULL GROUP BY provider`,
    [to - windowMs, to],
  );
  return rows
    .filter((r) => r.requests >= rule.minRequests && (r.errors / r.requests) * 100 >= rule.percent)
    .map((r) => ({
      ruleId: rule.id,
      kind: "error_rate",
      severity: "critical" as const,
      subject: r.provider,
      windowStart: to - windowMs,
      summary: `${r.provider}: ${((r.errors / r.requests) * 100).toFixed(1)}% of ${r.requests} requests failed upstream in ${rule.windowMinutes} min.`,
      details: { provider: r.provider, requests: r.requests, errors: r.errors, window_minutes: rule.windowMinutes },
    }));
}

async function spoolAlerts(rule: Extract<AlertRule, { kind: "ledger_spooling" }>, inputs: AlertInputs, instance: string): Promise<Alert[]> {
  const spooled = await inputs.spooled();
  if (spooled === 0) return [];
  return [
    {
      ruleId: rule.id,
      kind: "ledger_spooling",
      severity: "critical",
      subject: `ledger ${instance}`,
      windowStart: Math.floor(inputs.now / HOUR_MS) * HOUR_MS,
      summary: `The ledger database is unreachable from ${instance}: ${spooled} records wait in its spool file.`,
      details: { instance, spooled },
    },
  ];
}

/** The alerts `rule` raises now. */
export async function evaluateRule(rule: AlertRule, inputs: AlertInputs, instance: string): Promise<Alert[]> {
  switch (rule.kind) {
    case "budget":
      return budgetAlerts(rule, inputs);
    case "spend_rate":
      return spendRateAlerts(rule, inputs);
    case "breaker_open":
      return breakerAlerts(rule, inputs);
    case "error_rate":
      return errorRateAlerts(rule, inputs);
    case "ledger_spooling":
      return spoolAlerts(rule, inputs, instance);
  }
}
