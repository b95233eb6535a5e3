import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AttemptRecord, RequestRecord } from "../spec/request-record.js";
import { migrate, migrations } from "../store/migrations.js";
import { openPostgres } from "../store/postgres.js";
import type { Sql } from "../store/sql.js";
import { openSqlite } from "../store/sqlite.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { queryProviderHealth } from "./provider-health-query.js";
import { providerHealthRaw } from "./provider-health-sql.js";
import { refreshRollups, splitRange } from "./rollups.js";
import { insertRecordsAsRelease12 } from "./test-support/previous-writer.js";
import { expectedProviderHealth } from "./test-support/provider-health.js";
import { makeRecord } from "./test-support/records.js";

// Provider health from the attempt outcomes writers store per request (migration 13), and
// from rows without them (earlier writers), which pair attempts with LEAD(): the two must
// agree with each other and with the definition, for any attempt sequence, on both databases.

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** Attempt sequences like the engine's: targets of few providers and models, steps that only go up, any status. */
const attemptsArb = fc
  .array(
    fc.record({
      provider: fc.constantFrom("p1", "p2", "p3"),
      model: fc.constantFrom("m1", "m2"),
      nextStep: fc.boolean(),
      status: fc.constantFrom<AttemptRecord["status"]>("ok", "error", "error", "cancelled", "pending"),
      // Where the record lists it: records need not list attempts in order (the attempt number decides).
      listedAt: fc.nat(),
    }),
    { maxLength: 6 },
  )
  .map((list) => {
    let step = 1;
    return list.map(({ nextStep, ...a }, i) => {
      if (nextStep && i > 0) step++;
      return { ...a, attempt: i + 1, step };
    });
  });

const requestsArb = fc.array(attemptsArb, { minLength: 1, maxLength: 30 });

let nextId = 1;
/** A request per attempt sequence, a second apart from `hour` on. */
function toRecords(specs: (Omit<AttemptRecord, "startedAt"> & { listedAt: number })[][], hour: number): RequestRecord[] {
  return specs.map((attempts, i) => {
    const startedAt = hour + i * 1_000;
    const listed = [...attempts].sort((a, b) => a.listedAt - b.listedAt).map(({ listedAt: _, ...a }) => ({ ...a, startedAt: startedAt + a.attempt }));
    return makeRecord(nextId++, { startedAt, attempts: listed });
  });
}

/** Each attempt paired with the next by LEAD(), per request: what a row without stored outcomes gives. */
const PAIRED_PER_REQUEST = `
  SELECT request_id, SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS attempt_errors,
         SUM(CASE WHEN next_step = step AND next_provider = provider AND next_model = model THEN 1 ELSE 0 END) AS retries,
         SUM(CASE WHEN next_step = step AND (next_provider <> provider OR next_model <> model) THEN 1 ELSE 0 END) AS fallbacks,
         COUNT(DISTINCT provider) AS providers
    FROM (SELECT request_id, provider, model, step, status, LEAD(step) OVER w AS next_step, LEAD(provider) OVER w AS next_provider, LEAD(model) OVER w AS next_model
            FROM tollgate_ledger_attempts WHERE started_at >= $1 AND started_at < $2 WINDOW w AS (PARTITION BY request_id ORDER BY attempt)) p
   GROUP BY request_id ORDER BY request_id`;

describe.each(storeKinds)("provider health from stored attempt outcomes on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  const written: RequestRecord[] = [];
  let hour = T0;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = connect(db);
    await migrate(sql);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  it("stores per request exactly what pairing the attempts by LEAD() gives, and answers alike for either writer's rows", async () => {
    await fc.assert(
      fc.asyncProperty(requestsArb, async (specs) => {
        // The same requests twice, an hour each: by this release's writer, then by the previous one's.
        const newHour = (hour += HOUR);
        const oldHour = (hour += HOUR);
        const byNew = toRecords(specs, newHour);
        const byOld = toRecords(specs, oldHour);
        await insertRecords(sql, byNew);
        await insertRecordsAsRelease12(sql, byOld);

        const stored = await sql.query(
          "SELECT id AS request_id, attempt_errors, retries, fallbacks, providers FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2 AND attempts > 0 ORDER BY id",
          [newHour, newHour + HOUR],
        );
        expect(stored).toEqual(await sql.query(PAIRED_PER_REQUEST, [newHour, newHour + HOUR]));
        const [old] = await sql.query<{ n: number }>("SELECT COUNT(*) AS n FROM tollgate_ledger_requests WHERE started_at >= $1 AND providers IS NULL", [oldHour]);
        expect(old!.n).toBe(byOld.length);

        const expected = expectedProviderHealth(byNew);
        expect(await queryProviderHealth(sql, newHour, newHour + HOUR)).toEqual(expected);
        expect(await queryProviderHealth(sql, oldHour, oldHour + HOUR)).toEqual(expected);
        written.push(...byNew, ...byOld);
      }),
      { numRuns: 60 },
    );
  });

  it("gives the rollups of those hours the same counts, both writers' rows mixed in each hour", async () => {
    const mixed = toRecords(fc.sample(requestsArb, { numRuns: 2, seed: 42 }).flat(), (hour += HOUR));
    await insertRecords(
      sql,
      mixed.filter((_, i) => i % 2 === 0),
    );
    await insertRecordsAsRelease12(
      sql,
      mixed.filter((_, i) => i % 2 === 1),
    );
    written.push(...mixed);
    await refreshRollups(sql, 10_000);
    // From the middle of the first hour: the rest of it from raw rows, every later hour from the rollups.
    const from = T0 + HOUR + 10_500;
    const to = hour + HOUR;
    expect((await splitRange(sql, from, to)).rollups).not.toEqual([]);
    expect(await queryProviderHealth(sql, from, to)).toEqual(expectedProviderHealth(written.filter((r) => r.startedAt >= from)));
    const [rollups] = await sql.query<{ attempts: number }>("SELECT SUM(requests) AS attempts FROM tollgate_usage_hourly WHERE dim = 'provider'");
    expect(rollups!.attempts).toBe(written.reduce((n, r) => n + r.attempts.length, 0));
  });

  it("sums a request tried on one provider from its row alone, and pairs the others' attempts", async () => {
    const at = (hour += HOUR);
    const attempt = (n: number, provider: string, model: string, status: AttemptRecord["status"], step = 1): AttemptRecord => ({ attempt: n, provider, model, status, step, startedAt: at + n });
    const records = [
      makeRecord(nextId++, { startedAt: at, attempts: [attempt(1, "p1", "m1", "error"), attempt(2, "p1", "m1", "error"), attempt(3, "p1", "m2", "ok")] }),
      makeRecord(nextId++, { startedAt: at + 1, attempts: [attempt(1, "p1", "m1", "error"), attempt(2, "p2", "m1", "ok"), attempt(3, "p2", "m1", "ok", 2)] }),
      makeRecord(nextId++, { startedAt: at + 2, attempts: [] }),
    ];
    await insertRecords(sql, records);
    expect(await sql.query("SELECT attempt_errors, retries, fallbacks, providers FROM tollgate_ledger_requests WHERE started_at >= $1 ORDER BY started_at", [at])).toEqual([
      { attempt_errors: 2, retries: 1, fallbacks: 1, providers: 1 },
      { attempt_errors: 1, retries: 0, fallbacks: 1, providers: 2 },
      { attempt_errors: 0, retries: 0, fallbacks: 0, providers: 0 },
    ]);
    const raw = await sql.query<{ provider: string }>(providerHealthRaw(sql.dialect), [at, at + HOUR]);
    expect(raw.sort((a, b) => a.provider.localeCompare(b.provider))).toEqual([
      { provider: "p1", attempts: 4, errors: 3, retries: 1, fallbacks: 2 },
      { provider: "p2", attempts: 2, errors: 0, retries: 0, fallbacks: 0 },
    ]);
  });
});

/** A store without the migrations applied: the test applies them as a deploy would. */
function connect(db: TestDatabase): Sql {
  if (db.kind === "sqlite") return openSqlite(db.url.slice("sqlite:".length));
  const url = new URL(db.url);
  return openPostgres(db.url.replace(/\?schema=.*/, ""), { schema: url.searchParams.get("schema")! });
}

// Migration 13 in a rolling deploy: instances of the release before it keep writing (and
// running their maintenance) beside upgraded ones; no answer depends on which wrote a row.
describe.each(storeKinds)("migration 13 through a rolling deploy on %s", (kind) => {
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

  it("adds the columns to rows already there, takes both releases' writes at once, and answers the same before and after the rollups", async () => {
    const specs = fc.sample(requestsArb, { numRuns: 12, seed: 7 });
    const early = toRecords(specs.slice(0, 4).flat(), T0);
    const byOld = toRecords(specs.slice(4, 8).flat(), T0 + 2 * HOUR);
    const byNew = toRecords(specs.slice(8).flat(), T0 + 2 * HOUR + 500);
    await migrate(
      sql,
      migrations.filter((m) => m.version <= 12),
    );
    await insertRecordsAsRelease12(sql, early);

    expect(await migrate(sql)).toEqual([13]);
    const [before] = await sql.query<{ n: number; unsummed: number }>("SELECT COUNT(*) AS n, SUM(CASE WHEN providers IS NULL THEN 1 ELSE 0 END) AS unsummed FROM tollgate_ledger_requests");
    expect(before).toEqual({ n: early.length, unsummed: early.length });

    // Both releases at once, batch by batch, into the same hours.
    await Promise.all([
      (async () => {
        for (let i = 0; i < byOld.length; i += 5) await insertRecordsAsRelease12(sql, byOld.slice(i, i + 5));
      })(),
      (async () => {
        for (let i = 0; i < byNew.length; i += 5) await insertRecords(sql, byNew.slice(i, i + 5));
      })(),
    ]);
    const all = [...early, ...byOld, ...byNew];
    const [after] = await sql.query<{ unsummed: number }>("SELECT SUM(CASE WHEN providers IS NULL THEN 1 ELSE 0 END) AS unsummed FROM tollgate_ledger_requests");
    expect(after!.unsummed).toBe(early.length + byOld.length);

    // Hours still marked and partial hours from raw rows, then from the rollups.
    const from = T0 + 1_500;
    const to = T0 + 4 * HOUR;
    expect(await queryProviderHealth(sql, from, to)).toEqual(expectedProviderHealth(all.filter((r) => r.startedAt >= from)));
    await refreshRollups(sql, 1_000);
    expect((await splitRange(sql, from, to)).rollups).not.toEqual([]);
    expect(await queryProviderHealth(sql, from, to)).toEqual(expectedProviderHealth(all.filter((r) => r.startedAt >= from)));
  });
});
