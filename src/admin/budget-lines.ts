import type { BudgetLine } from "../alerts/evaluate.js";
import type { Principal } from "../orgs/principal.js";
import { type BudgetReader, readBudgets } from "./budgets.js";

/** The alert service reads every budget, as an owner would; it changes nothing, so it is never audited. */
const ALERTS: Principal = { actor: "system:alerts", via: "admin_key", role: "owner", teams: [] };

/** Every budget with a counter now and its use: what GET /admin/budgets shows, read the same way. */
export async function budgetLines(services: BudgetReader, now: number): Promise<BudgetLine[]> {
  return (await readBudgets(services, ALERTS, now)).map((b) => ({
    scope: b.scope,
    subject: b.subject,
    period: b.period,
    unit: b.unit,
    limit: b.limit,
    spent: b.spent,
    windowStart: b.window_start === null ? 0 : Date.parse(b.window_start),
  }));
}
