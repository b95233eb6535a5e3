import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDataError } from "./data-error.js";
import { openStore } from "./open-store.js";
import type { Sql } from "./sql.js";
import { createTestDatabase, type TestDatabase } from "./test-support/test-database.js";

// Real errors from each database: a refusal of the data is final, anything else may pass later.

const failure = async (sql: Sql, statement: string): Promise<unknown> => {
  try {
    await sql.exec(statement);
  } catch (err) {
    return err;
  }
  throw new Error(`expected ${statement} to fail`);
};

describe.each(["sqlite", "postgres"] as const)("isDataError on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    await sql.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0))");
    await sql.exec("INSERT INTO t (k, v) VALUES (1, 1)");
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("is final for a duplicate key and a failed check", async () => {
    expect(isDataError(await failure(sql, "INSERT INTO t (k, v) VALUES (1, 2)"))).toBe(true);
    expect(isDataError(await failure(sql, "INSERT INTO t (k, v) VALUES (2, -1)"))).toBe(true);
  });

  it("is not final for a missing table (a migration not yet run) or a non-database error", async () => {
    expect(isDataError(await failure(sql, "INSERT INTO missing (k) VALUES (1)"))).toBe(false);
    expect(isDataError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isDataError(undefined)).toBe(false);
  });
});

describe("isDataError on postgres's partitions", () => {
  let db: TestDatabase;
  let sql: Sql;
  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    sql = await openStore(db.url);
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("is not final for a row the default partition's new bound refuses (a partition attached meanwhile)", async () => {
    await sql.exec(`
      CREATE TABLE p (k BIGINT) PARTITION BY RANGE (k);
      CREATE TABLE p_default PARTITION OF p DEFAULT;
      CREATE TABLE p_0 PARTITION OF p FOR VALUES FROM (0) TO (10);`);
    // What a write routed before the attach meets after it.
    const err = await failure(sql, "INSERT INTO p_default (k) VALUES (5)");
    expect((err as { code?: string }).code).toBe("23514");
    expect(isDataError(err)).toBe(false);
  });
});
