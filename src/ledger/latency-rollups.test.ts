import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestRecord } from "../spec/request-record.js";
import { migrate, migrations } from "../store/migrations.js";
import { openPostgres } from "../store/postgres.js";
import type { Sql } from "../store/sql.js";
import { openSqlite } from "../store/sqlite.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { queryLatency } from "./latency-query.js";
import { refreshLatencyRollups } from "./latency-rollups.js";
import { refreshRollups, splitRange } from "./rollups.js";
import { expectNear, reference } from "./test-support/percentiles.js";
import { usageDataset } from "./test-support/usage-dataset.js";

// Migration 12 in a rolling deploy: instances of the release before it keep writing and
// running their maintenance (which consumes the usage rollups' marks and knows nothing of
// histograms) while upgraded ones compute the histograms from marks of their own.

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** Varied whole-millisecond latencies by a fixed LCG, so the histograms have many buckets. */
function withLatencies(list: RequestRecord[], seed: number): RequestRecord[] {
  let s = seed;
  const next = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return list.map((r) => ({ ...r, latencyMs: Math.round(Math.exp(next() * Math.log(600_000))), ttftMs: Math.round(Math.exp(next() * Math.log(10_000))) }));
}

const early = withLatencies(usageDataset(300, T0, 48 * HOUR, 1), 1);
const beforeUpgrade = withLatencies(usageDataset(40, T0 + 50 * HOUR, HOUR, 10_001), 2);
const afterUpgrade = withLatencies(usageDataset(40, T0 + 60 * HOUR, HOUR, 20_001), 3);
const all = [...early, ...beforeUpgrade, ...afterUpgrade];

/** A store without the migrations applied: the test applies them as a deploy would. */
function connect(db: TestDatabase): Sql {
  if (db.kind === "sqlite") return openSqlite(db.url.slice("sqlite:".length));
  const url = new URL(db.url);
  return openPostgres(db.url.replace(/\?schema=.*/, ""), { schema: url.searchParams.get("schema")! });
}

const latencyDirty = async (sql: Sql) => (await sql.query<{ hour: number }>("SELECT hour FROM tollgate_latency_dirty ORDER BY hour")).map((r) => r.hour);
const hoursOf = (list: RequestRecord[]) => [...new Set(list.map((r) => r.startedAt - (r.startedAt % HOUR)))].sort((a, b) => a - b);

async function expectPercentilesOf(sql: Sql, list: RequestRecord[], from: number, to: number) {
  const report = await queryLatency(sql, { groupBy: "model", from, to });
  const inRange = list.filter((r) => r.startedAt >= from && r.startedAt < to);
  expect(report.groups.reduce((n, g) => n + g.requests, 0)).toBe(inRange.length);
  for (const g of report.groups) {
    const mine = inRange.filter((r) => (r.attempts.at(-1)?.model ?? null) === g.group);
    expect(g.requests).toBe(mine.length);
    expect(g.errors).toBe(mine.filter((r) => r.status >= 400).length);
    expectNear(g.latency, reference(mine.map((r) => r.latencyMs)));
    expectNear(g.ttft, reference(mine.map((r) => r.ttftMs!)));
  }
}

describe.each(storeKinds)("latency histograms through a rolling deploy on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    sql = connect(db);
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("marks every hour with rows when applied, and is computed whoever writes and whoever else maintains", async () => {
    // With migration 13's columns already, so that today's writer and maintenance stand for
    // the previous release's (they differ from them in those columns only).
    await migrate(
      sql,
      migrations.filter((m) => m.version <= 11 || m.version === 13),
    );
    await insertRecords(sql, early);
    // The previous release's maintenance computed these hours' usage rollups; the next hour is still marked.
    await refreshRollups(sql, 1_000);
    await insertRecords(sql, beforeUpgrade);

    expect(await migrate(sql)).toEqual([12]);
    expect(await latencyDirty(sql)).toEqual(hoursOf([...early, ...beforeUpgrade]));

    // A previous-release instance keeps writing, and its maintenance consumes the usage marks only.
    await insertRecords(sql, afterUpgrade);
    await refreshRollups(sql, 1_000);
    expect(await latencyDirty(sql)).toEqual(hoursOf(all));
    // Meanwhile reports read the marked hours from raw rows, and are already right.
    await expectPercentilesOf(sql, all, T0, T0 + 61 * HOUR);

    expect(await refreshLatencyRollups(sql, 1_000)).toBe(hoursOf(all).length);
    expect(await latencyDirty(sql)).toEqual([]);
    const split = await splitRange(sql, T0 + 1, T0 + 61 * HOUR, { family: "latency" });
    expect(split.rollups.map((r) => r.table)).toEqual(["tollgate_latency_daily", "tollgate_latency_hourly"]);
    await expectPercentilesOf(sql, all, T0 + 1, T0 + 61 * HOUR);
    const [{ n } = { n: 0 }] = await sql.query<{ n: number }>("SELECT SUM(n) AS n FROM tollgate_latency_daily WHERE dim = 'all' AND metric = 'requests'");
    expect(n).toBe(all.length);
  });
});

describe("maintenance on several PostgreSQL instances at once", () => {
  let db: TestDatabase;
  const stores: Sql[] = [];

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    for (let i = 0; i < 3; i++) stores.push(connect(db));
    await migrate(stores[0]!);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await db.dispose();
  });

  it("shares the marked hours: each computed once, the days' rows never in conflict", async () => {
    await insertRecords(stores[0]!, all);
    const counts = await Promise.all(stores.map(async (sql) => [await refreshRollups(sql, 1_000), await refreshLatencyRollups(sql, 1_000)] as const));
    expect(counts.reduce((n, [usage]) => n + usage, 0)).toBe(hoursOf(all).length);
    expect(counts.reduce((n, [, latency]) => n + latency, 0)).toBe(hoursOf(all).length);
    const sums = await stores[0]!.query<{ usage: number; latency: number }>(
      "SELECT (SELECT SUM(requests) FROM tollgate_usage_daily WHERE dim = 'all') AS usage, (SELECT SUM(n) FROM tollgate_latency_daily WHERE dim = 'all' AND metric = 'requests') AS latency",
    );
    expect(sums).toEqual([{ usage: all.length, latency: all.length }]);
  });
});
