import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPostgres } from "./postgres.js";
import type { Sql } from "./sql.js";
import { TcpProxy } from "../../test/support/tcp-proxy.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "./test-support/test-database.js";

describe("openPostgres", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let sql: Sql;
  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    proxy = await TcpProxy.start({ host: "127.0.0.1", port: Number(new URL(POSTGRES_URL).port || 5432) });
    const url = new URL(db.urlThroughPort(proxy.port));
    const schema = url.searchParams.get("schema")!;
    url.searchParams.delete("schema");
    sql = openPostgres(url.toString(), { schema });
  });
  afterEach(async () => {
    await sql.close();
    await proxy.close();
    await db.dispose();
  });

  it("sets the schema on every connection", async () => {
    const schema = new URL(db.url).searchParams.get("schema");
    const rows = await Promise.all(Array.from({ length: 6 }, () => sql.query("SELECT current_schema() AS s")));
    expect(rows.flat()).toEqual(Array.from({ length: 6 }, () => ({ s: schema })));
  });

  it("refuses a schema name it would have to quote", () => {
    expect(() => openPostgres(POSTGRES_URL, { schema: "x; DROP" })).toThrow(/invalid schema name/);
  });

  it("survives a connection cut inside a transaction, and reconnects afterwards", async () => {
    await sql.exec("CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY)");
    const tx = sql.transaction(async (t) => {
      await t.query("INSERT INTO t (id) VALUES ('lost')");
      proxy.cut();
      await t.query("INSERT INTO t (id) VALUES ('never')");
    });
    await expect(tx).rejects.toThrow();
    await expect(sql.query("SELECT 1")).rejects.toThrow();
    proxy.restore();
    expect(await sql.query("SELECT id FROM t")).toEqual([]);
  });
});
