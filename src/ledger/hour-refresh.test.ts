import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AttemptRecord, RequestRecord } from "../spec/request-record.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { refreshLatencyRollups } from "./latency-rollups.js";
import { LedgerMaintenance } from "./ledger-maintenance.js";
import { refreshRollups, splitRange } from "./rollups.js";
import { insertRecordsAsRelease12 } from "./test-support/previous-writer.js";
import { makeRecord } from "./test-support/records.js";
import { expectedTotals, usageDataset } from "./test-support/usage-dataset.js";
import { queryUsage } from "./usage-query.js";

// SQLite computes an hour's rollups in a worker thread (a connection of its own that only reads) and
// writes the result rows on the store's connection; without a worker (`:memory:`, or after it
// failed) it runs the statements of before, in one transaction on the event loop. Both must
// write the same rows, and keep the marks' meaning: a marked hour is read from raw rows.

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ROLLUP_TABLES = ["tollgate_usage_hourly", "tollgate_usage_daily", "tollgate_latency_hourly", "tollgate_latency_daily"];
const DIRTY_TABLES = ["tollgate_rollup_dirty", "tollgate_latency_dirty"];

/** The same store computing on the event loop: what `sqlite::memory:` gets, and the code of before. */
const onLoop = (sql: Sql): Sql => ({ ...sql, queryInWorker: undefined });

/** Every rollup row in key order, each value beside its SQLite storage class. */
async function rollupRows(sql: Sql): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of ROLLUP_TABLES) {
    const columns = (await sql.query<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)).map((c) => c.name);
    out[table] = await sql.query(`SELECT ${columns.map((c) => `${c}, typeof(${c}) AS ${c}_type`).join(", ")} FROM ${table} ORDER BY ${columns.map((_, i) => i * 2 + 1).join(", ")}`);
  }
  return out;
}

async function wipe(sql: Sql): Promise<void> {
  for (const table of ["tollgate_requests", "tollgate_attempts", "tollgate_request_tags", ...ROLLUP_TABLES, ...DIRTY_TABLES]) await sql.exec(`DELETE FROM ${table}`);
}

/** Both families' marked hours (a claim's mark as it is stored). */
async function marks(sql: Sql): Promise<number[][]> {
  return Promise.all(DIRTY_TABLES.map(async (t) => (await sql.query<{ hour: number }>(`SELECT hour FROM ${t} ORDER BY hour`)).map((r) => r.hour)));
}

/** A worker failure fails the test: it would fall back, unseen, to the statements compared with. */
const noFallback = { onFallback: (err: unknown) => expect.unreachable(String(err)) };
const refreshBoth = async (sql: Sql) => [await refreshRollups(sql, 1_000, undefined, undefined, noFallback), await refreshLatencyRollups(sql, 1_000, undefined, undefined, noFallback)];

const attemptArb = fc.record({
  provider: fc.constantFrom("openai", "anthropic", "google"),
  model: fc.constantFrom("m1", "m2", "m3"),
  nextStep: fc.boolean(),
  status: fc.constantFrom<AttemptRecord["status"]>("ok", "ok", "error", "cancelled"),
});

/** Requests over 30 hours from T0 (two UTC days): any key, route, status, tokens, latencies, attempts; some by the previous release's writer. */
const recordArb = fc.record({
  at: fc.integer({ min: 0, max: 30 * HOUR - 1 }),
  identity: fc.option(
    fc.record({
      keyId: fc.constantFrom("k1", "k2", "k3"),
      userId: fc.option(fc.constantFrom("alice", "bob"), { nil: undefined }),
      tags: fc.dictionary(fc.constantFrom("env", "app"), fc.constantFrom("a", "b")),
    }),
    { nil: undefined },
  ),
  route: fc.option(fc.constantFrom("chat", "embed"), { nil: undefined }),
  status: fc.constantFrom(200, 200, 429, 502),
  input: fc.nat(5_000),
  output: fc.nat(2_000),
  cached: fc.nat(50),
  cost: fc.option(fc.nat(50_000_000), { nil: undefined }),
  latency: fc.oneof(fc.nat(50), fc.nat(5_000_000)),
  ttft: fc.option(fc.nat(60_000), { nil: undefined }),
  saved: fc.option(fc.nat(9_000), { nil: undefined }),
  attempts: fc.array(attemptArb, { maxLength: 4 }),
  previousWriter: fc.boolean(),
});

let nextId = 1;
type RecordSpec = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

function toRecord(spec: RecordSpec): RequestRecord {
  const startedAt = T0 + spec.at;
  let step = 1;
  const usage = { inputTokens: spec.input, outputTokens: spec.output, cachedInputTokens: spec.cached, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" as const };
  const attempts = spec.attempts.map(({ nextStep, ...a }, i) => ({ ...a, attempt: i + 1, step: nextStep && i > 0 ? ++step : step, startedAt: startedAt + i + 1, usage }));
  const { identity: _identity, ttftMs: _ttft, costNanos: _cost, ...base } = makeRecord(nextId++, { startedAt });
  return {
    ...base,
    ...(spec.identity ? { identity: spec.identity } : {}),
    ...(spec.route ? { route: spec.route } : {}),
    status: spec.status,
    outcome: spec.status >= 400 ? "failed" : "complete",
    attempts,
    usage,
    ...(spec.cost === undefined ? {} : { costNanos: spec.cost }),
    latencyMs: spec.latency,
    ...(spec.ttft === undefined ? {} : { ttftMs: spec.ttft }),
    ...(spec.saved === undefined ? {} : { cache: { kind: "exact" as const, savedNanos: spec.saved } }),
  };
}

describe("hourly rollups computed off the event loop on SQLite", () => {
  let db: TestDatabase;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase("sqlite");
    sql = await openStore(db.url);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });
  beforeEach(() => wipe(sql));

  it("writes the same rows, row for row, as the statements of before on the event loop", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { maxLength: 60 }), async (specs) => {
        await wipe(sql);
        const records = specs.map(toRecord);
        await insertRecords(
          sql,
          records.filter((_, i) => !specs[i]!.previousWriter),
        );
        await insertRecordsAsRelease12(
          sql,
          records.filter((_, i) => specs[i]!.previousWriter),
        );
        const marked = await marks(sql);

        const before = await refreshBoth(onLoop(sql));
        const expected = await rollupRows(sql);
        for (const table of ROLLUP_TABLES) await sql.exec(`DELETE FROM ${table}`);
        for (const [i, table] of DIRTY_TABLES.entries()) for (const hour of marked[i]!) await sql.query(`INSERT INTO ${table} (hour) VALUES ($1)`, [hour]);

        expect(await refreshBoth(sql)).toEqual(before);
        expect(await rollupRows(sql)).toEqual(expected);
        expect(await marks(sql)).toEqual([[], []]);
      }),
      { numRuns: 25 },
    );
  });

  it("reads a claimed hour from raw rows, and marks it again for a row written while the worker reads", async () => {
    const early = usageDataset(200, T0, 3 * HOUR);
    await insertRecords(sql, early);
    const late = usageDataset(5, T0 + HOUR, HOUR, 10_000);
    const range = { groupBy: "model" as const, from: T0, to: T0 + 3 * HOUR };
    const totals = async () => new Map((await queryUsage(sql, range)).totals.map(({ group, ...t }) => [group, t]));
    let whileClaimed: { edges: unknown; totals: unknown } | undefined;
    // The store as the refresh sees it: the worker's read of the second hour is watched around.
    const watched: Sql = {
      ...sql,
      async queryInWorker(statement, params, signal) {
        if (Number(params?.[0]) !== T0 + HOUR || whileClaimed) return sql.queryInWorker!(statement, params, signal);
        whileClaimed = { edges: (await splitRange(sql, T0, T0 + 3 * HOUR)).edges, totals: await totals() };
        const rows = await sql.queryInWorker!(statement, params, signal);
        // Written after the worker's read: not in its rows, so the hour must stay marked.
        await insertRecords(sql, late);
        return rows;
      },
    };
    // Two hours: the second is the one written to while the worker read it.
    expect(await refreshRollups(watched, 2, undefined, undefined, noFallback)).toBe(2);
    // Claimed, not yet computed: still read from raw rows (with the next hour, still marked), so reports stay exact.
    expect(whileClaimed).toEqual({ edges: [{ from: T0 + HOUR, to: T0 + 3 * HOUR }], totals: expectedTotals(early, "model", T0, T0 + 3 * HOUR) });
    expect((await marks(sql))[0]).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
    const all = [...early, ...late];
    expect(await totals()).toEqual(expectedTotals(all, "model", T0, T0 + 3 * HOUR));
    expect(await refreshRollups(sql, 1_000, undefined, undefined, noFallback)).toBe(2);
    expect((await marks(sql))[0]).toEqual([]);
    expect(await totals()).toEqual(expectedTotals(all, "model", T0, T0 + 3 * HOUR));
    const offLoop = await rollupRows(sql);
    await sql.query("INSERT INTO tollgate_rollup_dirty (hour) VALUES ($1), ($2), ($3)", [T0, T0 + HOUR, T0 + 2 * HOUR]);
    await refreshRollups(onLoop(sql), 1_000);
    expect(await rollupRows(sql)).toEqual(offLoop);
  });

  it.each([
    ["the claimed hour itself (taking the claim over)", T0 + 2 * HOUR],
    ["another hour of its day", T0],
  ])("writes nothing from a read that another writer made stale, of %s, and leaves the hour marked or computed", async (_, otherHour) => {
    const records = usageDataset(150, T0, 3 * HOUR);
    await insertRecords(sql, records);
    await refreshBoth(sql);
    const lateThird = usageDataset(3, T0 + 2 * HOUR, HOUR, 10_000);
    const lateOther = usageDataset(3, otherHour, HOUR, 20_000);
    await insertRecords(sql, lateThird);
    let interleaved = false;
    const watched: Sql = {
      ...sql,
      async queryInWorker(statement, params, signal) {
        const rows = await sql.queryInWorker!(statement, params, signal);
        if (!interleaved) {
          interleaved = true;
          // After this read of the third hour and its day: rows for the other hour, and another writer
          // (here: computing on the event loop) that takes it, the oldest mark, and writes it with its day.
          await insertRecords(sql, lateOther);
          expect(await refreshRollups(onLoop(sql), 1)).toBe(1);
        }
        return rows;
      },
    };
    expect(await refreshRollups(watched, 1, undefined, undefined, noFallback)).toBe(1);
    expect(interleaved).toBe(true);
    const all = [...records, ...lateThird, ...lateOther];
    const totals = async () => new Map((await queryUsage(sql, { groupBy: "key", from: T0, to: T0 + 2 * DAY })).totals.map(({ group, ...t }) => [group, t]));
    expect(await totals()).toEqual(expectedTotals(all, "key", T0, T0 + 2 * DAY));
    // Taken over, the hour was computed by the other writer; else its claim is a plain mark again.
    expect((await marks(sql))[0]).toEqual(otherHour === T0 + 2 * HOUR ? [] : [T0 + 2 * HOUR]);
    await refreshRollups(sql, 1_000, undefined, undefined, noFallback);
    expect(await totals()).toEqual(expectedTotals(all, "key", T0, T0 + 2 * DAY));
    const offLoop = await rollupRows(sql);
    await sql.query("INSERT INTO tollgate_rollup_dirty (hour) VALUES ($1), ($2), ($3)", [T0, T0 + HOUR, T0 + 2 * HOUR]);
    await refreshRollups(onLoop(sql), 1_000);
    expect(await rollupRows(sql)).toEqual(offLoop);
  });

  it("takes a claim left by a crash as a marked hour, with or without the worker", async () => {
    const records = usageDataset(100, T0, 2 * HOUR);
    await insertRecords(sql, records);
    await refreshBoth(sql);
    const late = usageDataset(4, T0 + HOUR, HOUR, 10_000);
    await insertRecords(sql, late);
    // As a claim leaves it: the mark moved off the hour, the rows not yet written.
    for (const table of DIRTY_TABLES) await sql.query(`UPDATE ${table} SET hour = hour + 1`);
    expect((await splitRange(sql, T0, T0 + 2 * HOUR)).edges).toEqual([{ from: T0 + HOUR, to: T0 + 2 * HOUR }]);
    const all = [...records, ...late];
    const totals = async () => new Map((await queryUsage(sql, { groupBy: "key", from: T0, to: T0 + 2 * DAY })).totals.map(({ group, ...t }) => [group, t]));
    expect(await totals()).toEqual(expectedTotals(all, "key", T0, T0 + 2 * DAY));
    expect(await refreshBoth(sql)).toEqual([1, 1]);
    expect(await marks(sql)).toEqual([[], []]);
    expect(await totals()).toEqual(expectedTotals(all, "key", T0, T0 + 2 * DAY));
    const offLoop = await rollupRows(sql);
    for (const table of DIRTY_TABLES) await sql.query(`INSERT INTO ${table} (hour) VALUES ($1)`, [T0 + HOUR + 1]);
    expect(await refreshBoth(onLoop(sql))).toEqual([1, 1]);
    expect(await marks(sql)).toEqual([[], []]);
    expect(await rollupRows(sql)).toEqual(offLoop);
  });

  it("falls back to the event loop when the worker fails, warns, and writes the same rows", async () => {
    const records = usageDataset(150, T0, 3 * HOUR);
    await insertRecords(sql, records);
    await refreshBoth(onLoop(sql));
    const expected = await rollupRows(sql);
    for (const table of ROLLUP_TABLES) await sql.exec(`DELETE FROM ${table}`);
    for (const table of DIRTY_TABLES) await sql.query(`INSERT INTO ${table} (hour) VALUES ($1), ($2), ($3)`, [T0, T0 + HOUR, T0 + 2 * HOUR]);

    let reads = 0;
    const failing: Sql = {
      ...sql,
      queryInWorker: async () => {
        reads++;
        throw new Error("worker gone");
      },
    };
    const warnings: string[] = [];
    const maintenance = new LedgerMaintenance(failing, {
      retention: {},
      intervalMs: 60_000,
      onError: (err) => expect.unreachable(String(err)),
      onWarning: (m) => warnings.push(m),
      now: () => T0 + DAY,
    });
    const report = await maintenance.runOnce();
    expect([report.refreshedHours, report.refreshedLatencyHours]).toEqual([3, 3]);
    // Once per family and run: the rest of the run does not try the worker again.
    expect(reads).toBe(2);
    expect(warnings).toEqual([expect.stringContaining("worker gone"), expect.stringContaining("worker gone")]);
    expect(await marks(sql)).toEqual([[], []]);
    expect(await rollupRows(sql)).toEqual(expected);
  });

  it("stops at close() while the worker reads: no error, the hour stays marked, and is computed after", async () => {
    const records = usageDataset(120, T0, 2 * HOUR);
    await insertRecords(sql, records);
    let reading!: () => void;
    const read = new Promise<void>((resolve) => (reading = resolve));
    const watched: Sql = {
      ...sql,
      queryInWorker(statement, params, signal) {
        reading();
        return sql.queryInWorker!(statement, params, signal);
      },
    };
    const errors: unknown[] = [];
    const maintenance = new LedgerMaintenance(watched, { retention: {}, intervalMs: 60_000, onError: (err) => errors.push(err), now: () => T0 + DAY });
    maintenance.start();
    await read;
    await maintenance.close();
    expect(errors).toEqual([]);
    // The claimed hour keeps its mark, moved off the hour: read from raw rows until it is computed.
    const [usageMarks] = await marks(sql);
    expect(usageMarks!.map((h) => h - (h % HOUR))).toEqual([T0, T0 + HOUR]);
    expect(usageMarks![0]).toBeGreaterThan(T0);
    const byKey = async () => new Map((await queryUsage(sql, { groupBy: "key", from: T0, to: T0 + DAY })).totals.map(({ group, ...t }) => [group, t]));
    expect(await byKey()).toEqual(expectedTotals(records, "key", T0, T0 + DAY));

    const report = await new LedgerMaintenance(sql, { retention: {}, intervalMs: 60_000, onError: (err) => expect.unreachable(String(err)), now: () => T0 + DAY }).runOnce();
    expect([report.refreshedHours, report.refreshedLatencyHours]).toEqual([2, 2]);
    expect(await marks(sql)).toEqual([[], []]);
    expect(await byKey()).toEqual(expectedTotals(records, "key", T0, T0 + DAY));
  });
});
