import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { linesFor, rulesFromLimits } from "../budgets/counter-lines.js";
import { MemoryBudgetStore } from "../budgets/memory-store.js";
import { RedisBudgetStore } from "../budgets/test-support/redis-store.js";
import { connected, deleteKeysUnder, testClient, uniquePrefix } from "../budgets/test-support/redis.js";
import type { BudgetStore } from "../budgets/types.js";
import { insertRecords } from "../ledger/insert-records.js";
import { makeRecord } from "../ledger/test-support/records.js";
import type { Identity } from "../spec/identity.js";
import { getBudgets } from "./budgets.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";

// GET /admin/budgets reads the very counters requests reserve against, in memory and in
// Redis: a reservation in flight shows as reserved, a settled request as spent.

// Redis expires the counters at their window's end by its own clock (PEXPIREAT), so the
// test's "now" must never be in Redis's past: 12:30 UTC of the day after the real one.
const DAY = 86_400_000;
const DAY_START = (Math.floor(Date.now() / DAY) + 1) * DAY;
const NOW = DAY_START + 12.5 * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const MONTH_START = Date.UTC(new Date(NOW).getUTCFullYear(), new Date(NOW).getUTCMonth(), 1);
const LIMITS = { budgets: [{ period: "day" as const, usd: 1 }], rpm: 10 };

type Budget = {
  source: string;
  scope: string;
  rule_id: string;
  subject: string;
  period: string;
  unit: string;
  limit: number;
  spent: number;
  reserved: number;
  window_start: string | null;
  resets_at: string | null;
};

describe.each(["memory", "redis"] as const)("GET /admin/budgets with %s counters", (kind) => {
  let services: TestServices;
  let store: BudgetStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    services = await testServices({
      budgets: {
        rules: [
          { scope: "user", id: "*", period: "day", usd: 5 },
          { scope: "team", id: "red", period: "month", tokens: 100_000 },
          { scope: "tag", id: "feature=*", period: "total", requests: 1000 },
        ],
      },
    });
    if (kind === "memory") {
      store = new MemoryBudgetStore({ clock: () => NOW });
      cleanup = () => store.close();
    } else {
      const client = await connected(testClient());
      const prefix = uniquePrefix("admin-budgets");
      store = new RedisBudgetStore(client, prefix, { clock: () => NOW });
      cleanup = async () => {
        await deleteKeysUnder(client, prefix);
        client.disconnect();
      };
    }
    services.budgetStore = store;
  });
  afterEach(async () => {
    await cleanup();
    await services.close();
  });

  const budgets = async () => (await getBudgets({ params: {}, query: {}, body: undefined, services, principal: OWNER, now: NOW })).body as { store: string; data: Budget[] };

  test("key limits and config rules, with settled spend and in-flight reservations", async () => {
    const keys = await services.keyStore();
    const { key } = await keys.create({ userId: "alice", teamId: "red", name: "search", limits: LIMITS }, NOW - 1000);
    const { key: revoked } = await keys.create({ userId: "bob", limits: { rpm: 5 } }, NOW - 1000);
    await keys.revoke(revoked.id, NOW - 500);
    // The wildcard rules find their subjects in the ledger: alice spent today, carol yesterday only.
    await insertRecords(services.sql, [
      makeRecord(1, { startedAt: DAY_START + 1000, identity: { keyId: key.id, userId: "alice", teamId: "red", tags: { feature: "search" } } }),
      makeRecord(2, { startedAt: DAY_START - 1000, identity: { keyId: "key_other", userId: "carol", tags: {} } }),
    ]);

    const identity: Identity = { keyId: key.id, userId: "alice", teamId: "red", tags: { feature: "search" }, limits: LIMITS };
    const rules = [...services.config.budgets.rules, ...rulesFromLimits("key", key.id, LIMITS)];
    const reserve = (id: string, amounts: { usdNanos: number; tokens: number; requests: number }) => store.reserve(id, linesFor(rules, identity, amounts, NOW), 60_000);
    // One request settled at its actual cost, one still in flight.
    const settled = linesFor(rules, identity, { usdNanos: 300_000, tokens: 500, requests: 1 }, NOW);
    expect(await reserve("req_done", { usdNanos: 900_000, tokens: 1500, requests: 1 })).toEqual({ ok: true });
    await store.settle(
      "req_done",
      settled.map((l) => ({ counter: l.counter, amount: l.amount, windowEndsAt: l.windowEndsAt })),
    );
    expect(await reserve("req_flight", { usdNanos: 200_000, tokens: 700, requests: 1 })).toEqual({ ok: true });

    const report = await budgets();
    expect(report.store).toBe(kind);
    const row = (source: string, scope: string, subject: string, unit: string) => report.data.find((b) => b.source === source && b.scope === scope && b.subject === subject && b.unit === unit);

    expect(row("key", "key", key.id, "usd")).toEqual({
      object: "budget",
      source: "key",
      scope: "key",
      rule_id: key.id,
      subject: key.id,
      period: "day",
      unit: "usd",
      limit: 1_000_000_000,
      spent: 300_000,
      reserved: 200_000,
      window_start: iso(DAY_START),
      resets_at: iso(DAY_START + DAY),
    });
    expect(row("key", "key", key.id, "requests")).toMatchObject({ period: "minute", limit: 10, spent: 1, reserved: 1, resets_at: iso(NOW + 60_000) });
    expect(row("config", "team", "red", "tokens")).toMatchObject({ rule_id: "red", period: "month", limit: 100_000, spent: 500, reserved: 700, window_start: iso(MONTH_START) });
    expect(row("config", "user", "alice", "usd")).toMatchObject({ rule_id: "*", limit: 5_000_000_000, spent: 300_000, reserved: 200_000 });
    expect(row("config", "tag", "feature=search", "requests")).toMatchObject({ rule_id: "feature=*", period: "total", spent: 1, reserved: 1, window_start: null, resets_at: null });
    // Carol spent only yesterday: today's window has no counter of hers. The revoked key is not listed.
    expect(report.data.filter((b) => b.subject === "carol" || b.subject === revoked.id)).toEqual([]);
    expect(report.data).toHaveLength(5);
  });

  test("a counter two rules land on is listed once, with the lower limit as enforcement uses", async () => {
    const keys = await services.keyStore();
    const { key } = await keys.create({ userId: "dave", limits: { budgets: [{ period: "day", usd: 2 }] } }, NOW - 1000);
    services.config.budgets.rules.push({ scope: "key", id: key.id, period: "day", unit: "usd", limit: 3_000_000_000 });
    const report = await budgets();
    expect(report.data.filter((b) => b.subject === key.id)).toEqual([expect.objectContaining({ source: "key", limit: 2_000_000_000, spent: 0, reserved: 0 })]);
  });
});
