import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import type { RequestRecord } from "../spec/request-record.js";
import { insertRecords } from "./insert-records.js";
import { refreshLatencyRollups } from "./latency-rollups.js";
import { type LatencyGroupBy, queryLatency } from "./latency-query.js";
import { queryProviderHealth } from "./provider-health-query.js";
import { providerHealthRaw } from "./provider-health-sql.js";
import { refreshRollups, splitRange } from "./rollups.js";
import { querySummary } from "./summary-query.js";
import { expectNear, reference } from "./test-support/percentiles.js";
import { queryLatencyAsBefore } from "./test-support/previous-latency-query.js";
import { expectedTotals, usageDataset } from "./test-support/usage-dataset.js";
import { queryUsage, type UsageGroupBy } from "./usage-query.js";

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const SPAN = 3 * 24 * HOUR;
const DAY = 24 * HOUR;

/**
 * Latencies log-uniform from 0 ms to about 20 minutes (a TTFT on two in three), over
 * routes and providers, by a fixed LCG: many buckets and groups for the histograms.
 */
function withLatencies(list: RequestRecord[]): RequestRecord[] {
  let s = 4_242;
  const next = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return list.map((r) => {
    const { ttftMs: _ttft, ...rest } = r;
    const latencyMs = Math.exp(next() * Math.log(1_200_000)) - 1;
    const ttft = next() < 2 / 3 ? { ttftMs: latencyMs * next() } : {};
    const route = ["chat", "embed", "batch"][Math.floor(next() * 3)]!;
    const provider = ["openai", "anthropic"][Math.floor(next() * 2)]!;
    return { ...rest, route, latencyMs, ...ttft, attempts: r.attempts.map((a) => ({ ...a, provider })) };
  });
}
const records = withLatencies(usageDataset(600, T0, SPAN));

/** What the ledger keeps of a record's latency (whole milliseconds), and its group for the latency report. */
const stored = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms));
const latencyGroup = (r: RequestRecord, by: LatencyGroupBy) => (by === "route" ? (r.route ?? null) : (r.attempts.at(-1)?.[by] ?? null));

function groupRecords<K>(list: RequestRecord[], keyOf: (r: RequestRecord) => K): Map<K, RequestRecord[]> {
  const out = new Map<K, RequestRecord[]>();
  for (const r of list) out.set(keyOf(r), [...(out.get(keyOf(r)) ?? []), r]);
  return out;
}

/** The exact figures of a set of records: counts, and nearest-rank percentiles of the stored latencies. */
function exactLatency(list: RequestRecord[]) {
  const latencies = list.map((r) => stored(r.latencyMs)).filter((v) => v !== undefined);
  const ttfts = list.map((r) => stored(r.ttftMs)).filter((v) => v !== undefined);
  return { requests: list.length, errors: list.filter((r) => r.status >= 400).length, latency: reference(latencies), ttft: reference(ttfts) };
}

const GROUPINGS: { groupBy: UsageGroupBy; tag?: string }[] = [
  { groupBy: "key" },
  { groupBy: "user" },
  { groupBy: "team" },
  { groupBy: "model" },
  { groupBy: "route" },
  { groupBy: "tag", tag: "env" },
  { groupBy: "tag", tag: "app" },
];

describe.each(storeKinds)("hourly rollups on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    // In batches, and the first batch twice (a replay): the triggers count each row once.
    for (let i = 0; i < records.length; i += 100) await insertRecords(sql, records.slice(i, i + 100));
    await insertRecords(sql, records.slice(0, 100));
    // What the ledger's maintenance does every minute.
    await refreshRollups(sql, 1_000);
    await refreshLatencyRollups(sql, 1_000);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  it("hold one row per hour and group, summing to the ledger", async () => {
    const [all] = await sql.query<{ requests: number; cost: number }>("SELECT SUM(requests) AS requests, SUM(cost_nanos) AS cost FROM tollgate_usage_hourly WHERE dim = 'all'");
    expect(all).toEqual({ requests: records.length, cost: records.reduce((n, r) => n + (r.costNanos ?? 0), 0) });
  });

  it("answer any range, cut anywhere, exactly as the raw rows do", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -HOUR, max: SPAN + HOUR }), fc.integer({ min: 1, max: SPAN }), fc.constantFrom(...GROUPINGS), async (offset, length, grouping) => {
        const from = T0 + offset;
        const to = from + length;
        const report = await queryUsage(sql, { ...grouping, from, to });
        const dim = grouping.groupBy === "tag" ? (`tag:${grouping.tag}` as const) : grouping.groupBy;
        const expected = expectedTotals(records, dim, from, to);
        expect(new Map(report.totals.map(({ group, ...t }) => [group, t]))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("reads whole hours from the rollups and only the partial hours from raw rows", async () => {
    expect(await splitRange(sql, T0 + 30 * 60_000, T0 + 5 * HOUR + 1)).toEqual({
      edges: [
        { from: T0 + 30 * 60_000, to: T0 + HOUR },
        { from: T0 + 5 * HOUR, to: T0 + 5 * HOUR + 1 },
      ],
      rollups: [{ table: "tollgate_usage_hourly", column: "hour", where: `((hour >= ${T0 + HOUR} AND hour < ${T0 + 5 * HOUR}))` }],
    });
    expect(await splitRange(sql, T0 + 1, T0 + HOUR - 1)).toEqual({ edges: [{ from: T0 + 1, to: T0 + HOUR - 1 }], rollups: [] });
    // Whole days from the daily rollups, the hours around them from the hourly ones.
    const long = await splitRange(sql, T0 + 5 * HOUR, T0 + 50 * HOUR);
    expect(long.edges).toEqual([]);
    expect(long.rollups).toEqual([
      { table: "tollgate_usage_daily", column: "day", where: `((day >= ${T0 + 24 * HOUR} AND day < ${T0 + 48 * HOUR}))` },
      { table: "tollgate_usage_hourly", column: "hour", where: `((hour >= ${T0 + 5 * HOUR} AND hour < ${T0 + 24 * HOUR}) OR (hour >= ${T0 + 48 * HOUR} AND hour < ${T0 + 50 * HOUR}))` },
    ]);
  });

  it("give provider health (attempts, errors, retries, fallbacks) equal to the raw rows'", async () => {
    const from = T0 + 3 * 60_000;
    const to = T0 + 50 * HOUR + 1;
    expect((await splitRange(sql, from, to)).rollups).not.toEqual([]);
    const raw = await sql.query<{ provider: string; attempts: number }>(providerHealthRaw(sql.dialect), [from, to]);
    expect(await queryProviderHealth(sql, from, to)).toEqual(raw.sort((a, b) => b.attempts - a.attempts || a.provider.localeCompare(b.provider)));
    expect(raw.reduce((n, r) => n + r.attempts, 0)).toBe(records.filter((r) => r.startedAt >= from && r.startedAt < to).length);
  });

  it("gives daily series whose buckets sum to the totals", async () => {
    const from = T0 + 7 * 60_000;
    const to = T0 + SPAN - 13 * 60_000;
    const report = await queryUsage(sql, { groupBy: "model", from, to, granularity: "day" });
    expect(new Set(report.series.map((p) => p.bucket))).toEqual(new Set([T0, T0 + 24 * HOUR, T0 + 48 * HOUR]));
    for (const total of report.totals) {
      const points = report.series.filter((p) => p.group === total.group);
      expect(points.reduce((n, p) => n + p.costNanos, 0)).toBe(total.costNanos);
      expect(points.reduce((n, p) => n + p.requests, 0)).toBe(total.requests);
    }
  });

  it("summarises a range from rollups and edges alike", async () => {
    const from = T0 + 17 * 60_000;
    const to = T0 + 40 * HOUR + 5;
    const inRange = records.filter((r) => r.startedAt >= from && r.startedAt < to);
    const summary = await querySummary(sql, from, to);
    expect(summary).toEqual({
      requests: inRange.length,
      errors: inRange.filter((r) => r.status >= 400).length,
      inputTokens: inRange.reduce((n, r) => n + (r.usage?.inputTokens ?? 0), 0),
      outputTokens: inRange.reduce((n, r) => n + (r.usage?.outputTokens ?? 0), 0),
      costNanos: inRange.reduce((n, r) => n + (r.costNanos ?? 0), 0),
      savedNanos: inRange.reduce((n, r) => n + (r.cache?.savedNanos ?? 0), 0),
      cacheHits: inRange.filter((r) => r.cache).length,
      tagNames: ["app", "env"],
    });
  });
  it("give latency percentiles within the buckets' error of the exact ones, and exact counts, for any range and series", async () => {
    const series = fc.constantFrom(undefined, HOUR, DAY);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -HOUR, max: SPAN + HOUR }),
        fc.integer({ min: 1, max: SPAN }),
        fc.constantFrom<LatencyGroupBy>("route", "model", "provider"),
        series,
        async (offset, length, groupBy, bucketMs) => {
          const from = T0 + offset;
          const to = from + length;
          const report = await queryLatency(sql, { groupBy, from, to, ...(bucketMs ? { bucketMs } : {}) });
          const inRange = records.filter((r) => r.startedAt >= from && r.startedAt < to);
          const byGroup = groupRecords(inRange, (r) => latencyGroup(r, groupBy));
          expect(new Map(report.groups.map((g) => [g.group, [g.requests, g.errors]]))).toEqual(new Map([...byGroup].map(([g, list]) => [g, [list.length, exactLatency(list).errors]])));
          for (const g of report.groups) {
            const exact = exactLatency(byGroup.get(g.group) ?? []);
            expectNear(g.latency, exact.latency);
            expectNear(g.ttft, exact.ttft);
          }
          const byBucket = bucketMs ? groupRecords(inRange, (r) => r.startedAt - (r.startedAt % bucketMs)) : new Map<number, RequestRecord[]>();
          expect(report.series.map((p) => [p.bucket, p.requests])).toEqual([...byBucket].map(([b, list]) => [b, list.length]).sort((a, b) => a[0]! - b[0]!));
          for (const p of report.series) {
            const exact = exactLatency(byBucket.get(p.bucket) ?? []);
            expectNear(p.latency, exact.latency);
            expectNear(p.ttft, exact.ttft);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("give the same latency report as before the packed reads, for ranges cut anywhere around hours and days", async () => {
    // Cut at, just before and just after hour and day edges, and anywhere.
    const edge = fc.tuple(fc.integer({ min: 0, max: SPAN / HOUR }), fc.constantFrom(-1, 0, 1, 7 * 60_000 + 123)).map(([h, d]) => T0 + h * HOUR + d);
    const anywhere = fc.integer({ min: T0 - HOUR, max: T0 + SPAN + HOUR });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(edge, anywhere),
        fc.oneof(edge, anywhere),
        fc.constantFrom<LatencyGroupBy>("route", "model", "provider"),
        fc.constantFrom(undefined, HOUR, DAY),
        async (a, b, groupBy, bucketMs) => {
          const query = { groupBy, from: Math.min(a, b), to: Math.max(a, b) + 1, ...(bucketMs ? { bucketMs } : {}) };
          expect(await queryLatency(sql, query)).toEqual(await queryLatencyAsBefore(sql, query));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("reads latency histograms by the day and the hour, and only the partial hours from raw rows", async () => {
    const split = await splitRange(sql, T0 + 5 * HOUR + 1, T0 + 50 * HOUR, { family: "latency" });
    expect(split.edges).toEqual([{ from: T0 + 5 * HOUR + 1, to: T0 + 6 * HOUR }]);
    expect(split.rollups.map((r) => r.table)).toEqual(["tollgate_latency_daily", "tollgate_latency_hourly"]);
    const [all] = await sql.query<{ n: number }>("SELECT SUM(n) AS n FROM tollgate_latency_hourly WHERE dim = 'all' AND metric = 'requests'");
    expect(all!.n).toBe(records.length);
  });

  // Last: it adds rows.
  it("reads hours with rows newer than their rollups from raw rows, until they are recomputed", async () => {
    const late = usageDataset(3, T0 + 5 * HOUR, 10 * 60_000, 50_000);
    await insertRecords(sql, late);
    const split = await splitRange(sql, T0, T0 + 24 * HOUR);
    // The day is read by the hour, less the marked hour, which comes from raw rows.
    expect(split.edges).toEqual([{ from: T0 + 5 * HOUR, to: T0 + 6 * HOUR }]);
    expect(split.rollups.map((r) => r.table)).toEqual(["tollgate_usage_daily", "tollgate_usage_hourly"]);
    const all = [...records, ...late];
    // The latency histograms' hour is waiting too: read from raw rows, as before.
    for (const bucketMs of [undefined, HOUR, DAY]) {
      const query = { groupBy: "provider" as const, from: T0 + 7 * 60_000, to: T0 + 2 * DAY - 1, ...(bucketMs ? { bucketMs } : {}) };
      expect(await queryLatency(sql, query)).toEqual(await queryLatencyAsBefore(sql, query));
    }
    const byKey = async () => new Map((await queryUsage(sql, { groupBy: "key", from: T0, to: T0 + 24 * HOUR })).totals.map(({ group, ...t }) => [group, t]));
    expect(await byKey()).toEqual(expectedTotals(all, "key", T0, T0 + 24 * HOUR));
    expect(await refreshRollups(sql, 1_000)).toBe(1);
    expect(await splitRange(sql, T0, T0 + 24 * HOUR)).toEqual({ edges: [], rollups: [{ table: "tollgate_usage_daily", column: "day", where: `((day >= ${T0} AND day < ${T0 + 24 * HOUR}))` }] });
    expect(await byKey()).toEqual(expectedTotals(all, "key", T0, T0 + 24 * HOUR));
  });
});

describe.each(storeKinds)("the hour still being written, on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  const three = usageDataset(90, T0, 3 * HOUR);
  const openHour = T0 + 2 * HOUR;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    await insertRecords(sql, three);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  it("waits to be rolled up until it ends, and reads from raw rows meanwhile", async () => {
    expect(await refreshRollups(sql, 1_000, undefined, openHour)).toBe(2);
    expect(await refreshLatencyRollups(sql, 1_000, undefined, openHour)).toBe(2);
    const marked = async (table: string) => (await sql.query<{ hour: number }>(`SELECT hour FROM ${table}`)).map((r) => Number(r.hour));
    expect(await marked("tollgate_rollup_dirty")).toEqual([openHour]);
    expect(await marked("tollgate_latency_dirty")).toEqual([openHour]);
    const totals = async () => new Map((await queryUsage(sql, { groupBy: "model", from: T0, to: T0 + 3 * HOUR })).totals.map(({ group, ...t }) => [group, t]));
    expect(await totals()).toEqual(expectedTotals(three, "model", T0, T0 + 3 * HOUR));
    // Once it has ended, the next run takes it.
    expect(await refreshRollups(sql, 1_000, undefined, openHour + HOUR)).toBe(1);
    expect(await refreshLatencyRollups(sql, 1_000, undefined, openHour + HOUR)).toBe(1);
    expect(await marked("tollgate_rollup_dirty")).toEqual([]);
    expect(await totals()).toEqual(expectedTotals(three, "model", T0, T0 + 3 * HOUR));
  });
});
