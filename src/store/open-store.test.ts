import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "./open-store.js";
import type { Sql } from "./sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "./test-support/test-database.js";

describe.each(storeKinds)("openStore on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    await sql.exec("CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, n BIGINT NOT NULL, note TEXT)");
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("opens the dialect the URL names, with the schema migrated", async () => {
    expect(sql.dialect).toBe(kind);
    const rows = await sql.query<{ version: number }>("SELECT version FROM tollgate_migrations ORDER BY version");
    expect(rows.length).toBeGreaterThan(0);
  });

  it("binds $n placeholders, repeated and out of order, and leaves them alone inside literals", async () => {
    await sql.query("INSERT INTO t (id, n, note) VALUES ($2, $1, '$1 stays')", [7, "a"]);
    const rows = await sql.query("SELECT id, n, note, $1 AS echo FROM t WHERE n = $2 AND n < $2 + 1", ["x", 7]);
    expect(rows).toEqual([{ id: "a", n: 7, note: "$1 stays", echo: "x" }]);
  });

  it("returns integers up to 2^53 as numbers, booleans stored as 0/1, undefined as null", async () => {
    await sql.query("INSERT INTO t (id, n, note) VALUES ($1, $2, $3)", ["big", 2 ** 53 - 1, undefined]);
    await sql.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["flag", true]);
    expect(await sql.query("SELECT id, n, note FROM t ORDER BY id")).toEqual([
      { id: "big", n: 2 ** 53 - 1, note: null },
      { id: "flag", n: 1, note: null },
    ]);
    const [sum] = await sql.query<{ total: number; count: number }>("SELECT SUM(n) AS total, COUNT(*) AS count FROM t");
    expect(sum).toEqual({ total: 2 ** 53, count: 2 });
  });

  it("returns rows from RETURNING and nothing from plain writes", async () => {
    expect(await sql.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["a", 1])).toEqual([]);
    expect(await sql.query("UPDATE t SET n = n + 1 WHERE id = $1 RETURNING n", ["a"])).toEqual([{ n: 2 }]);
  });

  it("runs several statements in exec", async () => {
    await sql.exec("INSERT INTO t (id, n) VALUES ('a', 1); INSERT INTO t (id, n) VALUES ('b', 2)");
    expect(await sql.query("SELECT id FROM t ORDER BY id")).toEqual([{ id: "a" }, { id: "b" }]);
  });

  it("commits a transaction, and rolls it back when its function throws", async () => {
    await sql.transaction(async (tx) => {
      await tx.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["kept", 1]);
    });
    await expect(
      sql.transaction(async (tx) => {
        await tx.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["lost", 1]);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await sql.query("SELECT id FROM t")).toEqual([{ id: "kept" }]);
  });

  it("rolls a nested transaction back to its savepoint only", async () => {
    await sql.transaction(async (tx) => {
      await tx.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["outer", 1]);
      await tx
        .transaction(async (inner) => {
          await inner.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["inner", 1]);
          throw new Error("inner");
        })
        .catch(() => undefined);
    });
    expect(await sql.query("SELECT id FROM t")).toEqual([{ id: "outer" }]);
  });

  it("keeps concurrent transactions apart: read-modify-write never loses an update", async () => {
    await sql.query("INSERT INTO t (id, n) VALUES ($1, $2)", ["counter", 0]);
    const bump = () =>
      sql.transaction(async (tx) => {
        // Postgres needs the row lock that SQLite's single writer gives for free.
        const [row] = await tx.query<{ n: number }>(`SELECT n FROM t WHERE id = $1${kind === "postgres" ? " FOR UPDATE" : ""}`, ["counter"]);
        await new Promise((resolve) => setImmediate(resolve));
        await tx.query("UPDATE t SET n = $1 WHERE id = $2", [row!.n + 1, "counter"]);
      });
    await Promise.all(Array.from({ length: 10 }, bump));
    expect(await sql.query("SELECT n FROM t")).toEqual([{ n: 10 }]);
  });

  it("refuses a transaction handle used after its transaction ended", async () => {
    let leaked: Sql | undefined;
    await sql.transaction(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.query("SELECT 1")).rejects.toThrow(/after its transaction ended/);
  });
});

describe("openStore URLs", () => {
  it("rejects an unknown scheme without echoing the rest of the URL", async () => {
    const error = await openStore("mysql://user:hunter2@db/x").catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('"mysql:"');
    expect((error as Error).message).not.toContain("hunter2");
  });

  it("opens sqlite::memory:", async () => {
    const sql = await openStore("sqlite::memory:");
    expect(await sql.query("SELECT COUNT(*) AS n FROM tollgate_requests")).toEqual([{ n: 0 }]);
    await sql.close();
  });
});
