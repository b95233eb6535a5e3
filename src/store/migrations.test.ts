import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, migrations } from "./migrations.js";
import { openStore } from "./open-store.js";
import type { Sql } from "./sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "./test-support/test-database.js";

const versions = migrations.map((m) => m.version);

describe.each(storeKinds)("migrations on %s", (kind) => {
  let db: TestDatabase;
  const opened: Sql[] = [];
  const open = async () => {
    const sql = await openStore(db.url);
    opened.push(sql);
    return sql;
  };

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((sql) => sql.close()));
    await db.dispose();
  });

  it("creates every table and records each version once", async () => {
    const sql = await open();
    expect((await sql.query<{ version: number }>("SELECT version FROM tollgate_migrations ORDER BY version")).map((r) => r.version)).toEqual(versions);
    for (const table of ["tollgate_keys", "tollgate_requests", "tollgate_attempts", "tollgate_request_tags", "tollgate_teams", "tollgate_users", "tollgate_audit", "tollgate_sessions"]) {
      expect(await sql.query(`SELECT COUNT(*) AS n FROM ${table}`)).toEqual([{ n: 0 }]);
    }
  });

  it("is idempotent: reopening and re-running apply nothing", async () => {
    const first = await open();
    await first.query("INSERT INTO tollgate_keys (id, hash, prefix, user_id, created_at) VALUES ($1, $2, $3, $4, $5)", ["key_1", "h", "tg_", "u", 1]);
    const second = await open();
    expect(await migrate(second)).toEqual([]);
    expect(await second.query("SELECT id, tags, limits FROM tollgate_keys")).toEqual([{ id: "key_1", tags: "{}", limits: "{}" }]);
    expect(await second.query("SELECT COUNT(*) AS n FROM tollgate_migrations")).toEqual([{ n: versions.length }]);
  });

  it("applies only the migrations that are new, in version order", async () => {
    const sql = await open();
    const later = [
      { version: 1001, name: "b", sql: "CREATE TABLE later_b (id INTEGER NOT NULL PRIMARY KEY)" },
      { version: 1000, name: "a", sql: "CREATE TABLE later_a (id INTEGER NOT NULL PRIMARY KEY); INSERT INTO later_a (id) VALUES (1)" },
    ];
    expect(await migrate(sql, [...migrations, ...later])).toEqual([1000, 1001]);
    expect(await migrate(sql, [...migrations, ...later])).toEqual([]);
  });

  it("leaves nothing behind when a migration fails", async () => {
    const sql = await open();
    const broken = [{ version: 1000, name: "half", sql: "CREATE TABLE half (id INTEGER NOT NULL PRIMARY KEY); CREATE TABLE half (id INTEGER)" }];
    await expect(migrate(sql, [...migrations, ...broken])).rejects.toThrow();
    expect(await sql.query("SELECT COUNT(*) AS n FROM tollgate_migrations WHERE version = 1000")).toEqual([{ n: 0 }]);
    expect(await migrate(sql, [...migrations, { ...broken[0]!, sql: "CREATE TABLE half (id INTEGER NOT NULL PRIMARY KEY)" }])).toEqual([1000]);
  });
});

describe("migrations on postgres, started together", () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase("postgres");
  });
  afterEach(() => db.dispose());

  it("lets several instances open one fresh schema at once", async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(db.url)));
    try {
      expect(await stores[0]!.query("SELECT version FROM tollgate_migrations ORDER BY version")).toEqual(versions.map((version) => ({ version })));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
