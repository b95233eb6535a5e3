import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, migrations } from "../store/migrations.js";
import { openStore } from "../store/open-store.js";
import { openSqlite } from "../store/sqlite.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { DAY_MS } from "./partitions.js";
import { applyRetention } from "./retention.js";
import { refreshRollups } from "./rollups.js";
import { insertRecordsAsBefore } from "./test-support/previous-writer.js";
import { expectedTotals, usageDataset } from "./test-support/usage-dataset.js";
import { queryUsage } from "./usage-query.js";

const T0 = Date.UTC(2026, 0, 1);
const records = usageDataset(12_000, T0, 4 * DAY_MS);
const count = async (sql: Sql, table: string) => (await sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n;

describe("ledger retention on sqlite", () => {
  let db: TestDatabase;
  let sql: Sql;
  beforeEach(async () => {
    db = await createTestDatabase("sqlite");
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("deletes raw rows past retention in batches, keeps the rollups, and gives the pages back", async () => {
    sql = await openStore(db.url);
    for (let i = 0; i < records.length; i += 500) await insertRecords(sql, records.slice(i, i + 500));
    const cutoff = T0 + 2 * DAY_MS + 12_345;
    const kept = records.filter((r) => r.startedAt >= cutoff);
    const pagesBefore = (await sql.query<{ page_count: number }>("PRAGMA page_count"))[0]!.page_count;

    await refreshRollups(sql, 1_000);
    const result = await applyRetention(sql, { raw: cutoff });
    expect(result.deletedRequests).toBe(records.length - kept.length);
    expect(await count(sql, "tollgate_requests")).toBe(kept.length);
    expect(await count(sql, "tollgate_attempts")).toBe(kept.length);
    expect(await count(sql, "tollgate_request_tags")).toBe(kept.reduce((n, r) => n + Object.keys(r.identity?.tags ?? {}).length, 0));
    expect((await sql.query<{ n: number }>("SELECT MIN(started_at) AS n FROM tollgate_requests"))[0]!.n).toBeGreaterThanOrEqual(cutoff);
    // A new file is made with auto_vacuum = INCREMENTAL: the freed pages went back to the file system.
    expect((await sql.query<{ freelist_count: number }>("PRAGMA freelist_count"))[0]!.freelist_count).toBe(0);
    expect((await sql.query<{ page_count: number }>("PRAGMA page_count"))[0]!.page_count).toBeLessThan(pagesBefore);
    // Whole hours of the deleted days are still answered by the rollups.
    const usage = await queryUsage(sql, { groupBy: "model", from: T0, to: T0 + 2 * DAY_MS });
    expect(new Map(usage.totals.map(({ group, ...t }) => [group, t]))).toEqual(expectedTotals(records, "model", T0, T0 + 2 * DAY_MS));

    const rollups = await applyRetention(sql, { rollup: T0 + DAY_MS });
    expect(rollups.deletedRollupRows).toBeGreaterThan(0);
    expect((await queryUsage(sql, { groupBy: "model", from: T0, to: T0 + DAY_MS })).totals).toEqual([]);
  });

  it("counts a ledger written before migration 7 into the rollups when it migrates", async () => {
    sql = openSqlite(db.url.slice("sqlite:".length));
    await migrate(
      sql,
      migrations.filter((m) => m.version <= 5),
    );
    const old = records.slice(0, 1_000);
    for (let i = 0; i < old.length; i += 100) await insertRecordsAsBefore(sql, old.slice(i, i + 100));
    await migrate(sql);
    // The migration marks every hour of the old rows; maintenance computes their rollups.
    expect(await refreshRollups(sql, 1_000)).toBe(new Set(old.map((r) => r.startedAt - (r.startedAt % 3_600_000))).size);
    const usage = await queryUsage(sql, { groupBy: "tag", tag: "env", from: T0, to: T0 + 4 * DAY_MS });
    expect(new Map(usage.totals.map(({ group, ...t }) => [group, t]))).toEqual(expectedTotals(old, "tag:env", T0, T0 + 4 * DAY_MS));
    expect((await sql.query<{ n: number }>("SELECT SUM(requests) AS n FROM tollgate_usage_hourly WHERE dim = 'all'"))[0]!.n).toBe(old.length);
  });
});
