import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqlite, toSqlitePlaceholders } from "./sqlite.js";

describe("toSqlitePlaceholders", () => {
  it("numbers placeholders and leaves string literals alone", () => {
    expect(toSqlitePlaceholders("SELECT $1, $12 FROM t WHERE a = '$1 it''s $2' AND b = $2")).toBe("SELECT ?1, ?12 FROM t WHERE a = '$1 it''s $2' AND b = ?2");
  });
});

describe("openSqlite", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tollgate-sqlite-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("creates the parent directory and uses WAL", async () => {
    const file = join(dir, "nested", "deeper", "x.db");
    const sql = openSqlite(file);
    expect(existsSync(file)).toBe(true);
    expect(await sql.query("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
    await sql.close();
  });

  it("keeps statements issued during a transaction out of it", async () => {
    const sql = openSqlite(join(dir, "x.db"));
    await sql.exec("CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY)");
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const tx = sql.transaction(async (t) => {
      await t.query("INSERT INTO t (id) VALUES ('rolled back')");
      await paused;
      throw new Error("abort");
    });
    // Issued while the transaction is open: must wait, not join it and vanish with its rollback.
    const outside = sql.query("INSERT INTO t (id) VALUES ('outside')");
    resume();
    await expect(tx).rejects.toThrow("abort");
    await outside;
    expect(await sql.query("SELECT id FROM t")).toEqual([{ id: "outside" }]);
    await sql.close();
  });

  it("runs one statement per list of values inside a transaction, whole numbers stored as integers", async () => {
    const sql = openSqlite(join(dir, "x.db"));
    await sql.exec("CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, n BIGINT, x REAL, note TEXT)");
    const rows = [
      ["a", 1_767_225_600_000, 1.5, null],
      ["b", 0, 2, "second"],
      ["a", 7, 7, "a conflict, skipped"],
    ];
    await sql.transaction(async (tx) => tx.runEach?.("INSERT INTO t (id, n, x, note) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", rows));
    expect(await sql.query("SELECT id, n, typeof(n) AS nt, x, typeof(x) AS xt, note FROM t ORDER BY id")).toEqual([
      { id: "a", n: 1_767_225_600_000, nt: "integer", x: 1.5, xt: "real", note: null },
      { id: "b", n: 0, nt: "integer", x: 2, xt: "real", note: "second" },
    ]);
    expect(sql.runEach).toBeUndefined();
    await sql.close();
  });
});
