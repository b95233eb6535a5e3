import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { insertRecords } from "../ledger/insert-records.js";
import { makeRecord } from "../ledger/test-support/records.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { ToolResultStore } from "./result-store.js";

const LEASE = 10_000;
const RETENTION = 60_000;

describe.each(storeKinds)("tool results and tool calls on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  let store: ToolResultStore;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    store = new ToolResultStore(sql, RETENTION);
  });
  afterEach(async () => {
    await sql.close();
    await db.dispose();
  });

  it("lets one claimant run a call, tells others it is running, then hands out its result", async () => {
    const t = 1_000_000;
    expect(await store.claim("k1", "charge", LEASE, t)).toEqual({ kind: "run" });
    expect(await store.claim("k1", "charge", LEASE, t + 1)).toEqual({ kind: "busy" });
    await store.complete("k1", '{"charged":1}', t + 2);
    expect(await store.claim("k1", "charge", LEASE, t + 3)).toEqual({ kind: "done", result: '{"charged":1}' });
  });

  it("gives exactly one of many concurrent claimants the run", async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, () => new ToolResultStore(sql, RETENTION).claim("k2", "charge", LEASE)));
    expect(claims.filter((c) => c.kind === "run")).toHaveLength(1);
    expect(claims.filter((c) => c.kind === "busy")).toHaveLength(7);
  });

  it("lets a retry run again after a released (failed) call, and takes over a claim whose lease ran out", async () => {
    const t = 2_000_000;
    expect(await store.claim("k3", "charge", LEASE, t)).toEqual({ kind: "run" });
    await store.release("k3");
    expect(await store.claim("k3", "charge", LEASE, t + 1)).toEqual({ kind: "run" });
    // The claimant crashed: after its lease another request may run the call.
    expect(await store.claim("k3", "charge", LEASE, t + LEASE + 2)).toEqual({ kind: "run" });
  });

  it("forgets results after the retention period", async () => {
    const t = 3_000_000;
    await store.claim("k4", "charge", LEASE, t);
    await store.complete("k4", "old", t);
    expect(await store.claim("k4", "charge", LEASE, t + RETENTION + 1)).toEqual({ kind: "run" });
  });

  it("writes a record's tool calls to tollgate_tool_calls, once even when the batch is replayed", async () => {
    const record = makeRecord(1, {
      toolCalls: [
        { step: 1, position: 0, name: "get_order_status", status: "ok", startedAt: 10, durationMs: 4.4 },
        { step: 1, position: 1, name: "cancel_order", status: "refused", errorCode: "tool_not_allowed", startedAt: 11, durationMs: 0.2 },
        { step: 2, position: 0, name: "charge_order", status: "ok", reused: true, startedAt: 20, durationMs: 1.6 },
      ],
    });
    await insertRecords(sql, [record]);
    await insertRecords(sql, [record]);
    const rows = await sql.query("SELECT step, position, name, status, error_code, reused, started_at, duration_ms FROM tollgate_ledger_tool_calls WHERE request_id = $1 ORDER BY step, position", [
      record.id,
    ]);
    expect(rows.map((r) => ({ ...r, started_at: Number(r.started_at) }))).toEqual([
      { step: 1, position: 0, name: "get_order_status", status: "ok", error_code: null, reused: 0, started_at: 10, duration_ms: 4 },
      { step: 1, position: 1, name: "cancel_order", status: "refused", error_code: "tool_not_allowed", reused: 0, started_at: 11, duration_ms: 0 },
      { step: 2, position: 0, name: "charge_order", status: "ok", error_code: null, reused: 1, started_at: 20, duration_ms: 2 },
    ]);
  });
});
