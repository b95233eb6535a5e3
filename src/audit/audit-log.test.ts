import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Redactor } from "../errors/redact.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { AuditLog, GENESIS_HASH, type AuditAction } from "./audit-log.js";

const action = (n: number, over: Partial<AuditAction> = {}): AuditAction => ({
  actor: "admin-key:ci",
  actorRole: "owner",
  via: "admin_key",
  source: "127.0.0.1",
  requestId: `adm_${n}`,
  action: "teams.update",
  resource: "teams",
  resourceId: `team-${n}`,
  status: 200,
  before: { limits: { budgets: [{ period: "day", usd: n }] } },
  after: { limits: { budgets: [{ period: "day", usd: n + 1 }] } },
  at: 1_767_225_600_000 + n,
  ...over,
});

describe.each(storeKinds)("the audit log on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  const opened: Sql[] = [];
  const open = async () => {
    const s = await openStore(db.url);
    opened.push(s);
    return s;
  };
  const logOn = (s: Sql, redactor = new Redactor()) => new AuditLog(() => Promise.resolve(s), redactor);

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    sql = await open();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await db.dispose();
  });

  test("each entry chains to the one before; verify walks the chain to its head", async () => {
    const log = logOn(sql);
    expect(await log.verify()).toEqual({ ok: true, entries: 0, head: null });
    const first = await log.record(action(1));
    const second = await log.record(action(2));
    expect(first).toMatchObject({ seq: 1, prev_hash: GENESIS_HASH, actor: "admin-key:ci", request_id: "adm_1", source: "127.0.0.1" });
    expect(second.prev_hash).toBe(first.hash);
    expect(await log.verify()).toEqual({ ok: true, entries: 2, head: { seq: 2, hash: second.hash } });
  });

  test("appends from two instances at once keep one gapless chain", async () => {
    const a = logOn(sql);
    // Two Postgres connections (two instances' pools); SQLite's instances are processes,
    // which its write lock orders, so in one process both logs share the connection.
    const b = logOn(kind === "postgres" ? await open() : sql);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).record(action(i))));
    const entries = await a.list({}, 100, true);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await b.verify()).toMatchObject({ ok: true, entries: 40 });
  });

  test("a changed, removed or re-chained entry is found, by its number", async () => {
    const log = logOn(sql);
    for (let n = 1; n <= 5; n++) await log.record(action(n));
    await sql.query("UPDATE tollgate_audit SET after_json = $1 WHERE seq = 3", ['{"limits":{}}']);
    expect(await log.verify()).toEqual({ ok: false, entries: 2, seq: 3, reason: "entry 3 was changed after it was written" });
    await sql.query("DELETE FROM tollgate_audit WHERE seq = 3");
    expect(await log.verify()).toMatchObject({ ok: false, seq: 3, reason: "entry 3 is missing (next is 4)" });
    await sql.query("DELETE FROM tollgate_audit WHERE seq >= 3");
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
    // A forger who rewrites an entry and its hash still breaks the link to the next one.
    await log.record(action(3));
    await sql.query("UPDATE tollgate_audit SET hash = $1 WHERE seq = 2", ["f".repeat(64)]);
    expect(await log.verify()).toMatchObject({ ok: false, seq: 2 });
  });

  test("never stores a secret: credential fields are dropped and known secrets redacted", async () => {
    const redactor = new Redactor();
    redactor.add("provider-key-0123456789");
    const log = logOn(sql, redactor);
    const entry = await log.record(
      action(1, {
        action: "keys.create",
        after: {
          key: { id: "key_1", prefix: "tg_3f9a…" },
          secret: "tg_0123456789abcdefghij",
          client_secret: "x",
          nested: { password: "p", note: "uses provider-key-0123456789", hash: "abc" },
          tokens: 5,
        },
      }),
    );
    expect(JSON.parse(entry.after_json!)).toEqual({ key: { id: "key_1", prefix: "tg_3f9a…" }, nested: { note: "uses [REDACTED]" }, tokens: 5 });
    const stored = await sql.query<{ after_json: string }>("SELECT after_json FROM tollgate_audit");
    expect(stored[0]!.after_json).not.toMatch(/tg_0123|provider-key|"p"/);
  });

  test("lists by actor, action, resource, id and time, newest first, and pages", async () => {
    const log = logOn(sql);
    for (let n = 1; n <= 6; n++) await log.record(action(n, n % 2 ? { actor: "user:alice", action: "keys.create", resource: "keys" } : {}));
    expect((await log.list({ actor: "user:alice" }, 10)).map((e) => e.seq)).toEqual([5, 3, 1]);
    expect((await log.list({ resource: "teams", resourceId: "team-4" }, 10)).map((e) => e.seq)).toEqual([4]);
    expect((await log.list({ from: 1_767_225_600_002, to: 1_767_225_600_004 }, 10)).map((e) => e.seq)).toEqual([3, 2]);
    expect((await log.list({ beforeSeq: 3 }, 10)).map((e) => e.seq)).toEqual([2, 1]);
    expect((await log.list({ action: "keys.create" }, 2)).map((e) => e.seq)).toEqual([5, 3]);
  });
});
