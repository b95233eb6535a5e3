import { z } from "zod";
import { NANOS_PER_USD } from "../spec/money.js";

const period = z.enum(["minute", "hour", "day", "month", "total"]);
const scope = z.enum(["key", "user", "team", "tag"]);

export type Period = z.output<typeof period>;
export type Scope = z.output<typeof scope>;
/** usd counters hold nano-dollars; tokens and requests hold counts. */
export type Unit = "usd" | "tokens" | "requests";

const budgetRuleSchema = z
  .strictObject({
    scope,
    /** The subject: a key id, user id, team id or "name=value" tag; "*" gives each its own budget. */
    id: z.string().min(1).default("*"),
    period,
    usd: z.number().positive().optional(),
    tokens: z.number().int().positive().optional(),
    requests: z.number().int().positive().optional(),
  })
  .refine((r) => [r.usd, r.tokens, r.requests].filter((v) => v !== undefined).length === 1, { message: "A budget rule sets exactly one of usd, tokens or requests." });

export const budgetsSchema = z.strictObject({
  /** When the shared store is unreachable: refuse requests, or enforce limits per instance. */
  onStoreFailure: z.enum(["closed", "open"]).default("closed"),
  /** Longest wait for the shared store before it counts as unreachable. */
  storeTimeoutMs: z.number().int().positive().default(2_000),
  /** An unsettled reservation (a crashed instance) is released after this long. */
  reservationTtlMs: z.number().int().positive().default(600_000),
  /** Worst-case output reserved when neither the request nor the route sets max tokens. */
  defaultMaxOutputTokens: z.number().int().positive().default(4096),
  rules: z.array(budgetRuleSchema).default([]),
});

type BudgetRuleInput = z.output<typeof budgetRuleSchema>;

/** A budget rule as the budgets code counts it: one unit, its limit in that unit's integer form. */
export interface BudgetRule extends Pick<BudgetRuleInput, "scope" | "id" | "period"> {
  unit: Unit;
  /** In the unit's integer form (nano-dollars for usd). */
  limit: number;
}

export function toBudgetRule(r: BudgetRuleInput): BudgetRule {
  const [unit, limit] = r.usd !== undefined ? (["usd", Math.round(r.usd * NANOS_PER_USD)] as const) : r.tokens !== undefined ? (["tokens", r.tokens] as const) : (["requests", r.requests!] as const);
  return { scope: r.scope, id: r.id, period: r.period, unit, limit };
}
