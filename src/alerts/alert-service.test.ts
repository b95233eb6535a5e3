import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../config/resolve.js";
import { insertRecords } from "../ledger/insert-records.js";
import { makeRecord } from "../ledger/test-support/records.js";
import { SwitchableSql } from "../ledger/test-support/switchable-sql.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { AlertService } from "./alert-service.js";
import type { BudgetLine } from "./evaluate.js";
import { verifySignature } from "./signature.js";
import { webhookReceiver } from "./test-support/webhook-receiver.js";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 1, 12, 10);
const SECRET = "whsec_alerts_test";

type Receiver = Awaited<ReturnType<typeof webhookReceiver>>;

function alertsConfig(receiver: Receiver, extra: Record<string, unknown> = {}) {
  return resolveConfig(
    {
      providers: { sim: { type: "simulator" } },
      models: { fast: { targets: [{ provider: "sim", model: "sim" }] } },
      alerts: {
        webhooks: { ops: { url: receiver.url("/ops"), secret: SECRET }, chat: { url: receiver.url("/slack"), format: "slack" } },
        rules: [
          { id: "budgets", kind: "budget", thresholds: [50, 100] },
          { id: "runaway", kind: "spend_rate", per: "key", windowHours: 1, trailingWindows: 24, factor: 3, minUsd: 0.001, webhooks: ["ops"] },
          { id: "breakers", kind: "breaker_open", forSeconds: 60, webhooks: ["ops"] },
        ],
        ...extra,
      },
    },
    {},
  ).alerts;
}

const budget: BudgetLine = { scope: "key", subject: "key_a", period: "day", unit: "usd", limit: 5_000_000_000, spent: 3_100_000_000, windowStart: Date.UTC(2026, 5, 1) };

/** key_a: a cent an hour for a day, then a dollar in the last hour; key_b: steady. */
async function seedSpend(sql: Sql): Promise<void> {
  const records = [];
  let n = 0;
  for (let h = 1; h <= 24; h++) {
    const at = Math.floor(NOW / HOUR) * HOUR - (h + 1) * HOUR + 60_000;
    records.push(makeRecord(++n, { startedAt: at, costNanos: 10_000_000, identity: { keyId: "key_a", userId: "alice", tags: {} } }));
    records.push(makeRecord(++n, { startedAt: at, costNanos: 10_000_000, identity: { keyId: "key_b", userId: "bob", tags: {} } }));
  }
  const lastHour = Math.floor(NOW / HOUR) * HOUR - HOUR + 60_000;
  records.push(makeRecord(++n, { startedAt: lastHour, costNanos: 1_000_000_000, identity: { keyId: "key_a", userId: "alice", tags: {} } }));
  records.push(makeRecord(++n, { startedAt: lastHour, costNanos: 10_000_000, identity: { keyId: "key_b", userId: "bob", tags: {} } }));
  await insertRecords(sql, records);
}

describe.each(storeKinds)("alerts on %s", (kind) => {
  let db: TestDatabase;
  let receiver: Receiver;
  const opened: Sql[] = [];
  const services: AlertService[] = [];
  const open = async () => {
    const sql = await openStore(db.url);
    opened.push(sql);
    return sql;
  };
  const service = (sql: Sql, config: ReturnType<typeof alertsConfig>, clock: () => number = () => NOW, spooled = 0) => {
    const s = new AlertService({
      config,
      sql,
      inputs: { budgets: async () => [budget], unhealthyTargets: () => [{ target: "openai/gpt-4o", since: NOW - 5 * 60_000 }], spooled: async () => spooled },
      warn: () => undefined,
      now: clock,
    });
    services.push(s);
    return s;
  };

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    receiver = await webhookReceiver();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.close()));
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await receiver.close();
    await db.dispose();
  });

  it("sends each alert once per rule, subject and window, signed, in each webhook's format", async () => {
    const sql = await open();
    await seedSpend(sql);
    const alerts = service(sql, alertsConfig(receiver));
    const fired = await alerts.evaluate();
    expect(fired.map((a) => `${a.ruleId} ${a.subject}`).sort()).toEqual(["breakers openai/gpt-4o", "budgets key key_a day budget ≥ 50%", "runaway key key_a"]);
    // budgets goes to both webhooks, the others to ops: 4 deliveries.
    await receiver.waitFor(4);
    const ops = receiver.received.filter((r) => r.path === "/ops");
    expect(ops).toHaveLength(3);
    for (const r of ops) {
      expect(verifySignature(SECRET, String(r.headers["tollgate-signature"]), r.body, { nowSeconds: NOW / 1000 })).toBe(true);
      expect(JSON.parse(r.body)).toMatchObject({ type: "tollgate.alert" });
    }
    const runaway = ops.map((r) => JSON.parse(r.body) as { rule: string; summary: string }).find((b) => b.rule === "runaway");
    expect(runaway?.summary).toMatch(/^key key_a spent \$1\.000000 in 1 h, 100\.0× its average of \$0\.010000/);
    const slack = receiver.received.filter((r) => r.path === "/slack");
    expect(slack).toHaveLength(1);
    expect(slack[0]!.headers["tollgate-signature"]).toBeUndefined();
    expect(JSON.parse(slack[0]!.body)).toMatchObject({ text: expect.stringMatching(/budgets: key key_a has used 62% of its day budget/) });

    // Evaluated again (this instance or another), nothing new is sent.
    expect(await alerts.evaluate()).toEqual([]);
    await alerts.deliverDue();
    expect(receiver.received).toHaveLength(4);
    expect(await sql.query("SELECT state, COUNT(*) AS n FROM tollgate_alert_outbox GROUP BY state")).toEqual([{ state: "sent", n: 4 }]);
  });

  it("retries a failing webhook with backoff, and gives up after maxAttempts", async () => {
    await receiver.close();
    receiver = await webhookReceiver((n) => (n === 1 ? 500 : 200));
    const sql = await open();
    let now = NOW;
    const alerts = service(sql, alertsConfig(receiver, { maxAttempts: 2, rules: [{ id: "budgets", kind: "budget", thresholds: [50], webhooks: ["ops"] }] }), () => now);
    await alerts.evaluate();
    expect(receiver.received).toHaveLength(1);
    expect(await sql.query("SELECT state, attempts, next_attempt_at, last_error FROM tollgate_alert_outbox")).toEqual([
      { state: "pending", attempts: 1, next_attempt_at: NOW + 5_000, last_error: "HTTP 500" },
    ]);
    await alerts.deliverDue();
    expect(receiver.received).toHaveLength(1);
    now += 5_000;
    await alerts.deliverDue();
    expect(receiver.received).toHaveLength(2);
    expect(await sql.query("SELECT state, attempts FROM tollgate_alert_outbox")).toEqual([{ state: "sent", attempts: 2 }]);

    await receiver.close();
    receiver = await webhookReceiver(() => 503);
    const failing = service(sql, alertsConfig(receiver, { maxAttempts: 2, rules: [{ id: "budgets-2", kind: "budget", thresholds: [60], webhooks: ["ops"] }] }), () => now);
    await failing.evaluate();
    now += 5_000;
    await failing.deliverDue();
    now += 60_000;
    await failing.deliverDue();
    expect(receiver.received).toHaveLength(2);
    expect(await sql.query("SELECT state, attempts, last_error FROM tollgate_alert_outbox WHERE rule_id = 'budgets-2'")).toEqual([{ state: "failed", attempts: 2, last_error: "HTTP 503" }]);
  });

  it("sends a spooling alert straight from memory when the database is the thing that is down", async () => {
    const sql = new SwitchableSql(await open());
    const alerts = service(sql, alertsConfig(receiver, { rules: [{ id: "spool", kind: "ledger_spooling" }] }), () => NOW, 42);
    sql.down = true;
    expect((await alerts.evaluate()).map((a) => a.kind)).toEqual(["ledger_spooling"]);
    await receiver.waitFor(2);
    expect(JSON.parse(receiver.received.find((r) => r.path === "/ops")!.body)).toMatchObject({ kind: "ledger_spooling", details: { spooled: 42 } });
    // Once per window from this instance.
    expect(await alerts.evaluate()).toEqual([]);
    expect(receiver.received).toHaveLength(2);
  });
});

describe("alerts on postgres, two instances", () => {
  it("deliver each alert once when both evaluate at the same moment", async () => {
    const db = await createTestDatabase("postgres");
    const receiver = await webhookReceiver();
    const stores = [await openStore(db.url), await openStore(db.url)];
    try {
      await seedSpend(stores[0]!);
      const config = alertsConfig(receiver);
      const instances = stores.map(
        (sql) => new AlertService({ config, sql, inputs: { budgets: async () => [budget], unhealthyTargets: () => [], spooled: async () => 0 }, warn: () => undefined, now: () => NOW }),
      );
      const fired = await Promise.all(instances.map((s) => s.evaluate()));
      // Each delivery is recorded by one of them (which one may differ per webhook).
      expect(new Set(fired.flat().map((a) => a.ruleId))).toEqual(new Set(["budgets", "runaway"]));
      expect(await stores[0]!.query("SELECT COUNT(*) AS n FROM tollgate_alert_outbox")).toEqual([{ n: 3 }]);
      await Promise.all(instances.map((s) => s.deliverDue()));
      // budgets to 2 webhooks, runaway to 1.
      expect(receiver.received).toHaveLength(3);
      await Promise.all(instances.map((s) => s.close()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await receiver.close();
      await db.dispose();
    }
  });
});
