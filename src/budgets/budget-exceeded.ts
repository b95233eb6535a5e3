import { GatewayError } from "../errors/gateway-error.js";
import { NANOS_PER_USD } from "../pricing/price-table.js";
import type { CounterLine } from "./types.js";

const PERIOD_NAMES = { minute: "per-minute", hour: "hourly", day: "daily", month: "monthly", total: "total" } as const;

function amount(unit: CounterLine["rule"]["unit"], value: number): string {
  if (unit === "usd") return `$${(value / NANOS_PER_USD).toFixed(6).replace(/0{1,4}$/, "")}`;
  return `${value} ${unit}`;
}

/** A request that does not fit a budget or rate limit: 429 before any upstream call. */
export class BudgetExceededError extends GatewayError {
  constructor(line: CounterLine, remaining: number, resetsAt: number, now = Date.now()) {
    const { rule } = line;
    const isRateLimit = rule.period === "minute";
    const resets = Number.isFinite(resetsAt) ? ` It resets at ${new Date(resetsAt).toISOString()}.` : " It does not reset.";
    super(
      isRateLimit ? "rate_limit_exceeded" : "budget_exceeded",
      `The ${PERIOD_NAMES[rule.period]} ${rule.unit} ${isRateLimit ? "rate limit" : "budget"} of ${rule.scope} "${line.subject}" (${amount(rule.unit, rule.limit)}) has ${amount(rule.unit, Math.max(0, remaining))} left; this request needs up to ${amount(rule.unit, line.amount)}.${resets}`,
      {
        ...(Number.isFinite(resetsAt) ? { retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - now) / 1000)) } : {}),
        details: { scope: rule.scope, subject: line.subject, period: rule.period, unit: rule.unit, limit: rule.limit, remaining: Math.max(0, remaining), resetsAt },
      },
    );
  }
}
