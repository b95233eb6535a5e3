import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as turn } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Sql } from "./sql.js";
import { openSqlite } from "./sqlite.js";
import { SqliteReader } from "./sqlite-reader.js";

/** A statement that keeps the worker's thread busy a while (SQLite steps it in native code). */
const LONG_READ = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT COUNT(*) FROM c";

describe("reads in a worker thread", () => {
  let dir: string;
  let sql: Sql;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tollgate-sqlite-reader-"));
    sql = openSqlite(join(dir, "x.db"));
    await sql.exec("CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, n BIGINT, x REAL)");
    // 2^53 + 1: no JavaScript number holds it.
    await sql.query("INSERT INTO t (id, n, x) VALUES ('a', 9007199254740993, 1.5), ('b', 2, NULL)");
  });
  afterEach(async () => {
    await sql.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the committed rows as arrays in column order, integers exact as BigInt", async () => {
    expect(await sql.queryInWorker!("SELECT id, n, x, n + 1 FROM t WHERE id >= $1 ORDER BY id", ["a"])).toEqual([
      ["a", 9007199254740993n, 1.5, 9007199254740994n],
      ["b", 2n, null, 3n],
    ]);
  });

  it("reads the last commit while the store's own connection holds a transaction open (WAL)", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const opened = new Promise<void>((resolve) => (inside = resolve));
    const tx = sql.transaction(async (t) => {
      await t.query("INSERT INTO t (id, n) VALUES ('uncommitted', 3)");
      inside();
      await held;
    });
    await opened;
    expect(await sql.queryInWorker!("SELECT id FROM t ORDER BY id")).toEqual([["a"], ["b"]]);
    release();
    await tx;
    expect(await sql.queryInWorker!("SELECT id FROM t ORDER BY id")).toEqual([["a"], ["b"], ["uncommitted"]]);
  });

  it("refuses to write, and reads on after an error", async () => {
    await expect(sql.queryInWorker!("DELETE FROM t RETURNING id")).rejects.toThrow(/readonly database/);
    await expect(sql.queryInWorker!("SELECT nope FROM t")).rejects.toThrow(/no such column/);
    expect(await sql.queryInWorker!("SELECT COUNT(*) FROM t")).toEqual([[2n]]);
  });

  it("drops a read when its signal aborts, and starts another worker for the next", async () => {
    const abort = new AbortController();
    const read = sql.queryInWorker!(LONG_READ, [], abort.signal);
    // The read is posted to the worker within this turn; abort it there.
    await turn();
    abort.abort(new Error("enough"));
    await expect(read).rejects.toThrow("enough");
    const aborted = new AbortController();
    aborted.abort(new Error("before it began"));
    await expect(sql.queryInWorker!("SELECT 1", [], aborted.signal)).rejects.toThrow("before it began");
    expect(await sql.queryInWorker!("SELECT COUNT(*) FROM t")).toEqual([[2n]]);
  });

  it("rejects a read under way and any later one once the store is closed", async () => {
    const read = sql.queryInWorker!(LONG_READ);
    await turn();
    const closing = sql.close();
    await expect(read).rejects.toThrow("closed");
    await closing;
    await expect(sql.queryInWorker!("SELECT 1")).rejects.toThrow("closed");
    sql = openSqlite(join(dir, "x.db"));
  });

  it("fails each read while the worker cannot open its database, each time in a new worker", async () => {
    const reader = new SqliteReader(join(dir, "missing", "x.db"));
    await expect(reader.query("SELECT 1", undefined)).rejects.toThrow(/unable to open|does not exist/i);
    await expect(reader.query("SELECT 1", undefined)).rejects.toThrow(/unable to open|does not exist/i);
    await reader.close();
  });

  it("is not offered for an in-memory database", async () => {
    const memory = openSqlite(":memory:");
    expect(memory.queryInWorker).toBeUndefined();
    await memory.close();
  });
});
