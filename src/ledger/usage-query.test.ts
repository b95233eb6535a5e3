import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Identity } from "../spec/identity.js";
import type { RequestRecord } from "../spec/request-record.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { makeRecord } from "./test-support/records.js";
import type { LedgerScope } from "./ledger-scope.js";
import { queryUsage, type UsageGroupBy } from "./usage-query.js";

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function usageRecord(n: number, at: number, who: Identity | undefined, model: string | undefined, route: string | undefined, tokens: [number, number], cost: number): RequestRecord {
  const base = makeRecord(n, { startedAt: at, costNanos: cost, usage: { ...makeRecord(n).usage!, inputTokens: tokens[0], outputTokens: tokens[1] } });
  const { identity: _identity, route: _route, ...rest } = base;
  return {
    ...rest,
    ...(who ? { identity: who } : {}),
    ...(route ? { route } : {}),
    attempts: model ? [{ ...base.attempts[0]!, model }] : [],
  };
}

const dataset: RequestRecord[] = [
  usageRecord(1, T0 + 10 * MIN, { keyId: "key_a", userId: "alice", teamId: "red", tags: { env: "prod", app: "web" } }, "gpt-4o", "chat", [100, 10], 1000),
  // A cache hit: its savings are summed beside its cost.
  {
    ...usageRecord(2, T0 + 50 * MIN, { keyId: "key_a", userId: "alice", teamId: "red", tags: { env: "prod" } }, "gpt-4o-mini", "chat", [200, 20], 2000),
    cache: { kind: "exact", savedNanos: 500, ageMs: 1000 },
  },
  usageRecord(3, T0 + HOUR + 5 * MIN, { keyId: "key_b", userId: "bob", teamId: "red", tags: { env: "dev" } }, "gpt-4o", "chat", [300, 30], 3000),
  usageRecord(4, T0 + DAY + HOUR, { keyId: "key_c", userId: "carol", tags: { app: "web" } }, "gpt-4o", "embed", [400, 40], 4000),
  // Refused before authentication: no key, model or route.
  usageRecord(5, T0 + 2 * HOUR, undefined, undefined, undefined, [0, 0], 0),
  // Outside [from, to).
  usageRecord(6, T0 - 1, { keyId: "key_a", userId: "alice", teamId: "red", tags: { env: "prod" } }, "gpt-4o", "chat", [999, 999], 999_999),
  usageRecord(7, T0 + 2 * DAY, { keyId: "key_a", userId: "alice", teamId: "red", tags: { env: "prod" } }, "gpt-4o", "chat", [999, 999], 999_999),
];

const total = (group: string | null, requests: number, inputTokens: number, outputTokens: number, costNanos: number, savedNanos = 0) => ({
  group,
  requests,
  inputTokens,
  outputTokens,
  costNanos,
  savedNanos,
});
const point = (bucket: number, group: string | null, requests: number, inputTokens: number, outputTokens: number, costNanos: number, savedNanos = 0) => ({
  bucket,
  group,
  requests,
  inputTokens,
  outputTokens,
  costNanos,
  savedNanos,
});

describe.each(storeKinds)("queryUsage on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  const range = { from: T0, to: T0 + 2 * DAY };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    await insertRecords(sql, dataset);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  it.each<[UsageGroupBy, string | undefined, ReturnType<typeof total>[]]>([
    ["key", undefined, [total("key_c", 1, 400, 40, 4000), total("key_a", 2, 300, 30, 3000, 500), total("key_b", 1, 300, 30, 3000), total(null, 1, 0, 0, 0)]],
    ["user", undefined, [total("carol", 1, 400, 40, 4000), total("alice", 2, 300, 30, 3000, 500), total("bob", 1, 300, 30, 3000), total(null, 1, 0, 0, 0)]],
    ["team", undefined, [total("red", 3, 600, 60, 6000, 500), total(null, 2, 400, 40, 4000)]],
    ["model", undefined, [total("gpt-4o", 3, 800, 80, 8000), total("gpt-4o-mini", 1, 200, 20, 2000, 500), total(null, 1, 0, 0, 0)]],
    ["route", undefined, [total("chat", 3, 600, 60, 6000, 500), total("embed", 1, 400, 40, 4000), total(null, 1, 0, 0, 0)]],
    ["tag", "env", [total("dev", 1, 300, 30, 3000), total("prod", 2, 300, 30, 3000, 500)]],
    ["tag", "app", [total("web", 2, 500, 50, 5000)]],
  ])("totals by %s %s", async (groupBy, tag, expected) => {
    const report = await queryUsage(sql, { groupBy, ...range, ...(tag ? { tag } : {}) });
    expect(report.totals).toEqual(expected);
    expect(report.series).toEqual([]);
  });

  it.each<[string, LedgerScope, UsageGroupBy, string | undefined, ReturnType<typeof total>[]]>([
    ["team red", { teamIds: ["red"] }, "user", undefined, [total("alice", 2, 300, 30, 3000, 500), total("bob", 1, 300, 30, 3000)]],
    ["team red, by tag", { teamIds: ["red"] }, "tag", "app", [total("web", 1, 100, 10, 1000)]],
    ["no team at all", { teamIds: [] }, "model", undefined, []],
    ["user carol", { userId: "carol" }, "key", undefined, [total("key_c", 1, 400, 40, 4000)]],
    ["user carol, by tag", { userId: "carol" }, "tag", "env", []],
  ])("scoped to %s: only those requests", async (_name, scope, groupBy, tag, expected) => {
    expect((await queryUsage(sql, { groupBy, ...range, ...(tag ? { tag } : {}), scope })).totals).toEqual(expected);
  });

  it("series by hour", async () => {
    const { series } = await queryUsage(sql, { groupBy: "key", ...range, granularity: "hour" });
    expect(series).toEqual([
      point(T0, "key_a", 2, 300, 30, 3000, 500),
      point(T0 + HOUR, "key_b", 1, 300, 30, 3000),
      point(T0 + 2 * HOUR, null, 1, 0, 0, 0),
      point(T0 + DAY + HOUR, "key_c", 1, 400, 40, 4000),
    ]);
  });

  it("series by UTC day", async () => {
    const { series } = await queryUsage(sql, { groupBy: "model", ...range, granularity: "day" });
    expect(series).toEqual([point(T0, "gpt-4o", 2, 400, 40, 4000), point(T0, "gpt-4o-mini", 1, 200, 20, 2000, 500), point(T0, null, 1, 0, 0, 0), point(T0 + DAY, "gpt-4o", 1, 400, 40, 4000)]);
  });

  it("series by tag value", async () => {
    const { series } = await queryUsage(sql, { groupBy: "tag", tag: "env", ...range, granularity: "hour" });
    expect(series).toEqual([point(T0, "prod", 2, 300, 30, 3000, 500), point(T0 + HOUR, "dev", 1, 300, 30, 3000)]);
  });

  it("answers an empty range with nothing", async () => {
    expect(await queryUsage(sql, { groupBy: "team", from: T0 + 3 * DAY, to: T0 + 4 * DAY, granularity: "day" })).toEqual({ totals: [], series: [] });
  });

  it("needs a tag name to group by tag", async () => {
    await expect(queryUsage(sql, { groupBy: "tag", ...range })).rejects.toThrow(/tag name/);
  });
});
