import type { CounterLine } from "../budgets/types.js";
import type { ErrorCode } from "../errors/codes.js";
import type { RequestRecord } from "../spec/request-record.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { Usage } from "../spec/usage.js";
import type { JournalBudgetLine, OpenRequest } from "./journal.js";

/** The error code of a request the gateway's process died in the middle of. */
const INTERRUPTED: ErrorCode = "gateway_interrupted";

/** The record of a request an earlier process never finished: its prompt billed, its output as far as it was relayed, estimated. */
export function interruptedRecord(open: OpenRequest, prices: PriceTable): RequestRecord {
  const usage: Usage = { inputTokens: open.inputTokens, outputTokens: open.outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "estimated" };
  const costNanos = prices.cost(open.model, usage, open.startedAt);
  const record: RequestRecord = {
    id: open.id,
    api: open.api,
    startedAt: open.startedAt,
    stream: open.stream,
    status: 500,
    outcome: "interrupted",
    errorCode: INTERRUPTED,
    attempts: [
      {
        attempt: 1,
        provider: open.provider,
        model: open.model,
        startedAt: open.startedAt,
        durationMs: open.lastSeenAt - open.startedAt,
        status: "cancelled",
        errorCode: INTERRUPTED,
        usage,
        costNanos,
      },
    ],
    usage,
    costNanos,
    latencyMs: open.lastSeenAt - open.startedAt,
  };
  if (open.route !== undefined) record.route = open.route;
  if (open.identity) record.identity = open.identity;
  return record;
}

/** What a reservation settles to after a crash: the record's cost and tokens (estimated for an interrupted one), one request. */
export function settlementOf(budget: readonly JournalBudgetLine[], record: RequestRecord): Pick<CounterLine, "counter" | "amount" | "windowEndsAt">[] {
  const tokens = (record.usage?.inputTokens ?? 0) + (record.usage?.outputTokens ?? 0);
  return budget.map((line) => ({
    counter: line.counter,
    windowEndsAt: line.windowEndsAt ?? Infinity,
    amount: line.unit === "requests" ? 1 : line.unit === "usd" ? (record.costNanos ?? 0) : tokens,
  }));
}
