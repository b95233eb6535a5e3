import { describe, expect, it } from "vitest";
import { PriceTable } from "../pricing/price-table.js";
import { interruptedRecord, settlementOf } from "./journal-entries.js";
import type { OpenRequest } from "./journal.js";

const open: OpenRequest = {
  id: "req_1",
  startedAt: 1_000,
  api: "openai-chat",
  stream: true,
  route: "fast",
  identity: { keyId: "key_a", userId: "alice" },
  provider: "up",
  model: "m",
  inputTokens: 120,
  budget: [
    { counter: "usd:total:key:key_a", windowEndsAt: null, unit: "usd" },
    { counter: "tokens:day:key:key_a:x", windowEndsAt: 86_400_000, unit: "tokens" },
    { counter: "requests:minute:key:key_a:x", windowEndsAt: 60_000, unit: "requests" },
  ],
  outputTokens: 30,
  lastSeenAt: 1_800,
};

describe("a request the process died during", () => {
  const prices = new PriceTable({ m: { input: 1, output: 2 } });

  it("is recorded as interrupted: its prompt billed, its relayed output estimated, priced like any row", () => {
    const record = interruptedRecord(open, prices);
    expect(record).toMatchObject({
      id: "req_1",
      route: "fast",
      identity: { keyId: "key_a", userId: "alice" },
      status: 500,
      outcome: "interrupted",
      errorCode: "gateway_interrupted",
      usage: { inputTokens: 120, outputTokens: 30, source: "estimated" },
      costNanos: 120 * 1000 + 30 * 2000,
      latencyMs: 800,
    });
    expect(record.attempts).toEqual([expect.objectContaining({ provider: "up", model: "m", status: "cancelled", costNanos: record.costNanos })]);
  });

  it("settles each counter it reserved on in that counter's unit; a window without end stays without end", () => {
    const record = interruptedRecord(open, prices);
    expect(settlementOf(open.budget!, record)).toEqual([
      { counter: "usd:total:key:key_a", windowEndsAt: Infinity, amount: record.costNanos },
      { counter: "tokens:day:key:key_a:x", windowEndsAt: 86_400_000, amount: 150 },
      { counter: "requests:minute:key:key_a:x", windowEndsAt: 60_000, amount: 1 },
    ]);
  });
});
