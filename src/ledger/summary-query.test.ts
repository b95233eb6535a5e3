import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { ensureDayPartition } from "./partitions.js";
import { refreshRollups } from "./rollups.js";
import { querySummary } from "./summary-query.js";
import { makeRecord } from "./test-support/records.js";

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const tagged = (n: number, startedAt: number, tags: Record<string, string>, userId = "alice") => makeRecord(n, { startedAt, identity: { keyId: "key_a", userId, teamId: "red", tags } });

// Names that share an hour and a day (partition) with the ranges below but lie outside them,
// so only a read by time, not by day or by hour, leaves them out.
const manyNames = Object.fromEntries(Array.from({ length: 105 }, (_, i) => [`n${String(i).padStart(3, "0")}`, "v"]));
const records = [
  tagged(1, T0 + 10 * MINUTE, { early: "x" }),
  tagged(2, T0 + 50 * MINUTE, { env: "prod", mid: "y" }),
  tagged(3, T0 + 50 * MINUTE + 1, { own: "b" }, "bob"),
  tagged(4, T0 + 3 * HOUR, manyNames),
  tagged(5, T0 + DAY + 5 * HOUR + 10 * MINUTE, { late: "z" }),
];

describe.each(storeKinds)("summary tag names on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    if (kind === "postgres") for (const day of [T0, T0 + DAY]) await ensureDayPartition(sql, day);
    await insertRecords(sql, records);
    await refreshRollups(sql, 100);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  const names = async (from: number, to: number) => (await querySummary(sql, from, to)).tagNames;

  it("are the names of the rows in the range, to the millisecond, in partial hours", async () => {
    expect(await names(T0 + 20 * MINUTE, T0 + 55 * MINUTE)).toEqual(["env", "mid", "own"]);
    expect(await names(T0 + 20 * MINUTE, T0 + 50 * MINUTE + 1)).toEqual(["env", "mid"]);
    expect(await names(T0 + 50 * MINUTE + 1, T0 + 3 * HOUR)).toEqual(["own"]);
    expect(await names(T0 + 11 * MINUTE, T0 + 49 * MINUTE)).toEqual([]);
  });

  it("join the partial hours' names to the whole hours' and days'", async () => {
    expect(await names(T0 + 20 * MINUTE, T0 + DAY + 5 * HOUR + 5 * MINUTE)).toEqual(["env", "mid", ...Object.keys(manyNames).slice(0, 98)]);
    expect(await names(T0 + 5 * HOUR, T0 + 2 * DAY)).toEqual(["late"]);
    expect((await names(T0, T0 + 2 * DAY)).slice(0, 4)).toEqual(["early", "env", "late", "mid"]);
  });

  it("stop at 100, the first in order", async () => {
    expect(await names(T0 + 3 * HOUR, T0 + 3 * HOUR + MINUTE)).toEqual(Object.keys(manyNames).slice(0, 100));
  });

  it("are those of the caller's own requests for a scoped caller", async () => {
    expect((await querySummary(sql, T0, T0 + 2 * DAY, { userId: "bob" })).tagNames).toEqual(["own"]);
  });
});
