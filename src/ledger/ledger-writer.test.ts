import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RequestRecord } from "../spec/request-record.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { insertRecords } from "./insert-records.js";
import { LedgerWriter, type LedgerWriterOptions } from "./ledger-writer.js";
import { journalBacklog, journalSegments } from "./test-support/journal-files.js";
import { makeRecord } from "./test-support/records.js";
import { SwitchableSql } from "./test-support/switchable-sql.js";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ids = (ns: number[]) => ns.map((n) => makeRecord(n).id);
// Long enough that no timer fires during a test unless the test means it to.
const NEVER = 60_000;

describe.each(storeKinds)("LedgerWriter on %s", (kind) => {
  let db: TestDatabase;
  let store: Sql;
  let sql: SwitchableSql;
  let errors: unknown[];
  const writers: LedgerWriter[] = [];

  const newWriter = (options: Partial<LedgerWriterOptions> = {}) => {
    const writer = new LedgerWriter(sql, { batchSize: 4, flushIntervalMs: NEVER, retryMinMs: NEVER, spoolDir: join(db.dir, "spool"), onError: (err) => errors.push(err), ...options });
    writers.push(writer);
    return writer;
  };
  /** Request ids in the order the ledger stored them. */
  const stored = async () => (await store.query<{ id: string }>("SELECT id FROM tollgate_ledger_requests ORDER BY seq, id")).map((r) => r.id);
  const spoolDir = () => join(db.dir, "spool");
  const writeAll = (writer: LedgerWriter, ns: number[]) => {
    for (const n of ns) writer.write(makeRecord(n));
  };

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = await openStore(db.url);
    sql = new SwitchableSql(store);
    errors = [];
  });
  afterEach(async () => {
    sql.down = false;
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await store.close();
    await db.dispose();
  });

  it("writes a record's request, attempts and tags", async () => {
    const writer = newWriter();
    const record = makeRecord(1, {
      attempts: [
        { attempt: 1, provider: "openai", model: "gpt-4o", startedAt: 1, status: "error", errorCode: "upstream_timeout", upstreamStatus: 504 },
        { ...makeRecord(1).attempts[0]!, attempt: 2 },
      ],
      identity: { keyId: "key_a", userId: "alice", tags: { env: "prod", app: "web" } },
    });
    writer.write(record);
    expect(writer.pending).toBe(1);
    await writer.flush();
    expect(writer.pending).toBe(0);
    expect(await store.query("SELECT id, seq, key_id, user_id, team_id, model, attempts, input_tokens, cost_nanos, saved_nanos, cache_hit, latency_ms, tags FROM tollgate_ledger_requests")).toEqual([
      {
        id: record.id,
        seq: 1,
        key_id: "key_a",
        user_id: "alice",
        team_id: null,
        model: "gpt-4o-mini",
        attempts: 2,
        input_tokens: 10,
        cost_nanos: 4500,
        saved_nanos: 0,
        cache_hit: 0,
        latency_ms: 130,
        tags: '{"env":"prod","app":"web"}',
      },
    ]);
    expect(await store.query("SELECT attempt, status, upstream_status, output_tokens FROM tollgate_ledger_attempts ORDER BY attempt")).toEqual([
      { attempt: 1, status: "error", upstream_status: 504, output_tokens: 0 },
      { attempt: 2, status: "ok", upstream_status: null, output_tokens: 5 },
    ]);
    expect(await store.query("SELECT name, value, cost_nanos FROM tollgate_ledger_tags ORDER BY name")).toEqual([
      { name: "app", value: "web", cost_nanos: 4500 },
      { name: "env", value: "prod", cost_nanos: 4500 },
    ]);
  });

  it("writes a full batch at once, one transaction per batch, and the rest on flush", async () => {
    const writer = newWriter();
    writeAll(writer, range(1, 9));
    await vi.waitFor(async () => expect(await stored()).toEqual(ids(range(1, 8))), { timeout: 30_000, interval: 5 });
    // With the errors beside the count: a batch the database refused is retried record by record.
    expect({ transactions: sql.transactions, errors }).toEqual({ transactions: 2, errors: [] });
    expect(writer.pending).toBe(1);
    await writer.flush();
    expect(await stored()).toEqual(ids(range(1, 9)));
    expect(sql.transactions).toBe(3);
  });

  it("writes a partial batch once the flush interval has passed", async () => {
    const writer = newWriter({ flushIntervalMs: 5 });
    writeAll(writer, [1, 2]);
    await vi.waitFor(async () => expect(await stored()).toEqual(ids([1, 2])), { timeout: 30_000, interval: 5 });
    expect(sql.transactions).toBe(1);
  });

  it("never counts a replayed record twice", async () => {
    const records = range(1, 5).map((n) => makeRecord(n));
    await insertRecords(store, records.slice(0, 3));
    await insertRecords(store, records);
    await insertRecords(store, records);
    expect(await stored()).toEqual(ids(range(1, 5)));
    expect(await store.query("SELECT COUNT(*) AS n FROM tollgate_ledger_attempts")).toEqual([{ n: 5 }]);
    expect(await store.query("SELECT COUNT(*) AS n FROM tollgate_ledger_tags")).toEqual([{ n: 5 }]);
  });

  it("spools while the database is down, keeps order, and replays on flush once it is back", async () => {
    const writer = newWriter();
    writeAll(writer, range(1, 8));
    await writer.flush();
    sql.down = true;
    writeAll(writer, range(9, 14));
    await writer.flush();
    expect(writer.spooled).toBe(6);
    writeAll(writer, range(15, 17));
    await writer.flush();
    expect(writer.spooled).toBe(9);
    expect(writer.pending).toBe(0);
    sql.down = false;
    writeAll(writer, range(18, 19));
    await writer.flush();
    expect(writer.spooled).toBe(0);
    expect(await stored()).toEqual(ids(range(1, 19)));
    expect(errors.length).toBeGreaterThan(0);
    // Everything is in the database: closing leaves no journal behind.
    await writer.close();
    expect(journalSegments(spoolDir())).toEqual([]);
  });

  it("replays the spool from its retry timer and then writes directly again", async () => {
    const writer = newWriter({ retryMinMs: 5, retryMaxMs: 20 });
    sql.down = true;
    writeAll(writer, range(1, 6));
    await writer.flush();
    expect(writer.spooled).toBe(6);
    sql.down = false;
    await vi.waitFor(() => expect(writer.spooled).toBe(0), { timeout: 30_000, interval: 5 });
    expect(await stored()).toEqual(ids(range(1, 6)));
    const before = sql.transactions;
    writeAll(writer, range(7, 10));
    await vi.waitFor(async () => expect(await stored()).toEqual(ids(range(1, 10))), { timeout: 30_000, interval: 5 });
    expect(sql.transactions).toBe(before + 1);
    await writer.close();
    expect(journalSegments(spoolDir())).toEqual([]);
  });

  it("leaves the records in the journal when closed during an outage, and a new writer replays them first", async () => {
    const first = newWriter();
    writeAll(first, range(1, 4));
    await first.flush();
    sql.down = true;
    writeAll(first, range(5, 7));
    await first.close();
    expect(first.pending).toBe(0);
    expect(journalBacklog(spoolDir())).toBe(3);

    sql.down = false;
    const second = newWriter({ batchSize: 100 });
    expect(second.spooled).toBe(3);
    // Written before the replay ran: must still land after the spooled records.
    writeAll(second, [8, 9]);
    await vi.waitFor(() => expect(second.spooled).toBe(0), { timeout: 30_000, interval: 5 });
    await second.flush();
    expect(await stored()).toEqual(ids(range(1, 9)));
  });

  it("flushes everything to the database on close", async () => {
    const writer = newWriter();
    writeAll(writer, range(1, 3));
    await writer.close();
    expect(await stored()).toEqual(ids(range(1, 3)));
    writer.write(makeRecord(4));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/closed/);
  });

  it("sets aside a record the database refuses, without holding up the others", async () => {
    const writer = newWriter();
    const bad: RequestRecord = makeRecord(2, { status: Number.NaN });
    writer.write(makeRecord(1));
    writer.write(bad);
    writer.write(makeRecord(3));
    await writer.flush();
    expect(await stored()).toEqual(ids([1, 3]));
    expect(writer.spooled).toBe(0);
    const kept = readFileSync(join(db.dir, "spool", "ledger-rejected.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RequestRecord);
    expect(kept.map((r) => r.id)).toEqual([bad.id]);
    expect(errors.map(String).find((e) => e.includes(bad.id))).toMatch(kind === "sqlite" ? /\(SQLITE_CONSTRAINT_\w+\)/ : /\(22\w{3}\)/);
    writeAll(writer, [4]);
    await writer.flush();
    expect(await stored()).toEqual(ids([1, 3, 4]));
  });
});
