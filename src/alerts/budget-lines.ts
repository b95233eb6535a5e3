import { getBudgets } from "../admin/budgets.js";
import type { AdminServices } from "../admin/types.js";
import type { Principal } from "../orgs/principal.js";
import type { BudgetLine } from "./evaluate.js";

interface BudgetView {
  scope: string;
  subject: string;
  period: string;
  unit: BudgetLine["unit"];
  limit: number;
  spent: number;
  window_start: string | null;
}

/** The alert service reads every budget, as an owner would; it changes nothing, so it is never audited. */
const ALERTS: Principal = { actor: "system:alerts", via: "admin_key", role: "owner", teams: [] };

/** Every budget with a counter now and its use: what GET /admin/budgets shows, read the same way. */
export async function budgetLines(services: AdminServices, now: number): Promise<BudgetLine[]> {
  const { body } = await getBudgets({ params: {}, query: {}, body: undefined, services, principal: ALERTS, now });
  return (body as { data: BudgetView[] }).data.map((b) => ({
    scope: b.scope,
    subject: b.subject,
    period: b.period,
    unit: b.unit,
    limit: b.limit,
    spent: b.spent,
    windowStart: b.window_start === null ? 0 : Date.parse(b.window_start),
  }));
}
