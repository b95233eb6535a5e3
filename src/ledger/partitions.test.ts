import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { migrate, migrations } from "../store/migrations.js";
import { openPostgres } from "../store/postgres.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { LedgerMaintenance } from "./ledger-maintenance.js";
import { DAY_MS, ensureDayPartition, partitionDays } from "./partitions.js";
import { splitRange } from "./rollups.js";
import { queryProviderHealth } from "./provider-health-query.js";
import { insertRecordsAsBefore } from "./test-support/previous-writer.js";
import { expectedProviderHealth } from "./test-support/provider-health.js";
import { expectedTotals, usageDataset } from "./test-support/usage-dataset.js";
import { queryUsage } from "./usage-query.js";

// A rolling deploy on PostgreSQL: instances of the release before migration 7 keep writing
// while upgraded ones write to the partitions; nothing is lost or counted twice, and
// maintenance then moves the old rows into the partitions and drops days past retention.

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const before = usageDataset(300, T0, 3 * DAY_MS, 1);
const byOld = usageDataset(200, T0 + 3 * DAY_MS, DAY_MS, 10_001);
const byNew = usageDataset(200, T0 + 3 * DAY_MS, DAY_MS, 20_001);
const all = [...before, ...byOld, ...byNew];

const count = async (sql: Sql, table: string) => (await sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n;
const usageByKey = async (sql: Sql, from: number, to: number) => new Map((await queryUsage(sql, { groupBy: "key", from, to })).totals.map(({ group, ...t }) => [group, t]));

describe("the partitioned ledger on postgres", () => {
  let db: TestDatabase;
  let sql: Sql;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    sql = openPostgres(new URL(db.url).toString().replace(/\?schema=.*/, ""), { schema: new URL(db.url).searchParams.get("schema")! });
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("takes writes from old and new instances together, then moves the old rows into day partitions", async () => {
    await migrate(
      sql,
      migrations.filter((m) => m.version <= 5),
    );
    for (let i = 0; i < before.length; i += 50) await insertRecordsAsBefore(sql, before.slice(i, i + 50));

    expect(await migrate(sql)).toContain(7);
    // Both releases at once, batch by batch.
    await Promise.all([
      (async () => {
        for (let i = 0; i < byOld.length; i += 20) await insertRecordsAsBefore(sql, byOld.slice(i, i + 20));
      })(),
      (async () => {
        for (let i = 0; i < byNew.length; i += 20) await insertRecords(sql, byNew.slice(i, i + 20));
      })(),
    ]);
    expect(await count(sql, "tollgate_ledger_requests")).toBe(all.length);
    expect(await count(sql, "tollgate_ledger_tags")).toBe(all.reduce((n, r) => n + Object.keys(r.identity?.tags ?? {}).length, 0));
    // Old rows wait to be moved: reports read raw rows meanwhile, and are already whole.
    expect((await splitRange(sql, T0, T0 + 4 * DAY_MS)).rollups).toEqual([]);
    expect(await usageByKey(sql, T0, T0 + 4 * DAY_MS)).toEqual(expectedTotals(all, "key", T0, T0 + 4 * DAY_MS));

    const maintenance = new LedgerMaintenance(sql, { retention: {}, intervalMs: 60_000, onError: (err) => expect.unreachable(String(err)), now: () => T0 + 3 * DAY_MS + HOUR });
    const report = await maintenance.runOnce();
    expect(report.movedRequests).toBe(before.length + byOld.length);
    expect(await count(sql, "tollgate_requests")).toBe(0);
    expect(await count(sql, "tollgate_attempts")).toBe(0);
    expect(await count(sql, "tollgate_ledger_requests")).toBe(all.length);
    expect(await count(sql, "tollgate_requests_p_default")).toBe(0);
    expect(await partitionDays(sql, "tollgate_requests_p")).toEqual([0, 1, 2, 3, 4, 5].map((d) => T0 + d * DAY_MS));

    // Now the rollups answer, and agree with the records.
    const from = T0 + 90_000;
    const to = T0 + 4 * DAY_MS - 90_000;
    expect((await splitRange(sql, from, to)).rollups.map((r) => r.table)).toEqual(["tollgate_usage_daily", "tollgate_usage_hourly"]);
    expect(await usageByKey(sql, from, to)).toEqual(expectedTotals(all, "key", from, to));
    // Moved rows have no attempt outcomes of their own (migration 13): their attempts are paired.
    expect(await queryProviderHealth(sql, from, to)).toEqual(expectedProviderHealth(all.filter((r) => r.startedAt >= from && r.startedAt < to)));
    // An old instance still writing after the move lands in the old table, and is moved next time.
    await insertRecordsAsBefore(sql, usageDataset(5, T0 + 3 * DAY_MS, HOUR, 30_001));
    expect((await maintenance.runOnce()).movedRequests).toBe(5);
    await maintenance.close();
  });

  it("makes a day's partition while that day's rows are being written: the writes wait for it, none is refused", async () => {
    await migrate(sql);
    const day = T0 + 10 * DAY_MS;
    const [first, second] = usageDataset(2, day, HOUR, 50_001);
    // Lock waits on this test's tables only: other test files share the server.
    const waiting = async () =>
      (await sql.query<{ n: number }>("SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND c.relnamespace = current_schema()::regnamespace"))[0]!.n;
    // A write of the day still open: its row sits uncommitted in the default partition.
    let commit!: () => void;
    const open = sql.transaction(async (tx) => {
      await insertRecords(tx, [first!]);
      await new Promise<void>((resolve) => (commit = resolve));
    });
    await vi.waitFor(() => expect(commit).toBeDefined());
    const making = ensureDayPartition(sql, day);
    await vi.waitFor(async () => expect(await waiting()).toBe(1));
    // A second write arrives while the partition is being made.
    const next = insertRecords(sql, [second!]);
    await vi.waitFor(async () => expect(await waiting()).toBeGreaterThanOrEqual(2));
    commit();
    await open;
    expect(await making).toBe(true);
    await next;
    expect(await count(sql, "tollgate_requests_p_default")).toBe(0);
    expect(await count(sql, "tollgate_attempts_p_default")).toBe(0);
    expect(await count(sql, `tollgate_requests_p_${new Date(day).toISOString().slice(0, 10).replaceAll("-", "")}`)).toBe(2);
    expect(await count(sql, "tollgate_ledger_attempts")).toBe(2);
  });

  it("drops the day partitions past retention, keeping the rollups that cover them", async () => {
    await migrate(sql);
    const maintenanceAt = (now: number, rawDays?: number) =>
      new LedgerMaintenance(sql, { retention: { rawDays }, intervalMs: 60_000, onError: (err) => expect.unreachable(String(err)), now: () => now });
    // The first run makes the partitions of yesterday, today and two days ahead.
    await maintenanceAt(T0 + HOUR).runOnce();
    expect(await partitionDays(sql, "tollgate_requests_p")).toEqual([-1, 0, 1, 2].map((d) => T0 + d * DAY_MS));
    for (let i = 0; i < before.length; i += 50) await insertRecords(sql, before.slice(i, i + 50));
    // A clock far behind: no day of its own, so the default partition holds it.
    const stray = usageDataset(1, T0 - 30 * DAY_MS, HOUR, 40_001);
    await insertRecords(sql, stray);
    expect(await count(sql, "tollgate_requests_p_default")).toBe(1);
    // Maintenance runs every minute: the rollups of those hours are made while their rows are there.
    expect((await maintenanceAt(T0 + 2 * DAY_MS).runOnce()).refreshedHours).toBeGreaterThan(0);

    const report = await maintenanceAt(T0 + 2 * DAY_MS + HOUR, 1).runOnce();
    // Whole days go once all of the day is past retention; the stray row is deleted on its own.
    expect(report.droppedDays).toEqual([T0 - DAY_MS, T0]);
    expect(report.deletedRequests).toBe(1);
    expect(await partitionDays(sql, "tollgate_attempts_p")).toEqual([1, 2, 3, 4].map((d) => T0 + d * DAY_MS));
    expect(await count(sql, "tollgate_ledger_requests")).toBe(before.filter((r) => r.startedAt >= T0 + DAY_MS).length);
    expect(await count(sql, "tollgate_ledger_attempts")).toBe(before.filter((r) => r.startedAt >= T0 + DAY_MS).length);
    // The raw rows of day 0 are gone; the rollups still answer for it.
    expect(await usageByKey(sql, T0, T0 + DAY_MS)).toEqual(expectedTotals(before, "key", T0, T0 + DAY_MS));

    // Rollups have a retention of their own.
    const rollups = new LedgerMaintenance(sql, { retention: { rollupDays: 2 }, intervalMs: 60_000, onError: (err) => expect.unreachable(String(err)), now: () => T0 + 2 * DAY_MS + HOUR });
    expect((await rollups.runOnce()).deletedRollupRows).toBeGreaterThan(0);
    expect(await usageByKey(sql, T0 - 30 * DAY_MS, T0 + HOUR)).toEqual(new Map());
  });
});
