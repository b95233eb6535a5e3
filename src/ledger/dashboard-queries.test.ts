import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyStore } from "../keys/key-store.js";
import type { AttemptRecord, RequestRecord } from "../spec/request-record.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { queryActiveSubjects } from "./active-subjects-query.js";
import { insertRecords } from "./insert-records.js";
import { queryLatency } from "./latency-query.js";
import { queryProviderHealth } from "./provider-health-query.js";
import { queryRecentRequests, queryRequest } from "./recent-requests-query.js";
import { querySummary } from "./summary-query.js";
import { expectNear, reference } from "./test-support/percentiles.js";
import { makeRecord } from "./test-support/records.js";

// The dashboard's ledger queries, run on SQLite and on PostgreSQL (a schema of its own)
// against one dataset, with answers computed independently in the test.

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** A deterministic shuffle (LCG), so rows are not inserted in latency order. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const attempt = (n: number, provider: string, model: string, status: AttemptRecord["status"], at: number): AttemptRecord => ({
  attempt: n,
  provider,
  model,
  startedAt: at + n,
  durationMs: 10 * n,
  status,
  ...(status === "error" ? { errorCode: "upstream_error", upstreamStatus: 503 } : {}),
});

// Route "chat": latencies 1..100 (the first 50 in hour 0, the rest in hour 1), a TTFT of
// half the latency on even ones only. Route "embed": one request in hour 2.
const latencies = shuffled(Array.from({ length: 100 }, (_, i) => i + 1));
const chat: RequestRecord[] = latencies.map((latency, i) => {
  const at = T0 + (latency <= 50 ? 0 : HOUR) + i;
  const { ttftMs: _ttft, ...base } = makeRecord(1000 + i, { startedAt: at, route: "chat", latencyMs: latency });
  return { ...base, ...(latency % 2 === 0 ? { ttftMs: latency / 2 } : {}) };
});
const embed = makeRecord(2000, { startedAt: T0 + 2 * HOUR, route: "embed", latencyMs: 7, ttftMs: 3 });

// Attempts: a request retried on p1 then answered by a fallback to p2; one answered by
// p2 at once; one falling back from p1's model to another model of p1; one refused (429).
const t = T0 + 3 * HOUR;
const attempted: RequestRecord[] = [
  makeRecord(3000, { startedAt: t, attempts: [attempt(1, "p1", "m1", "error", t), attempt(2, "p1", "m1", "error", t), attempt(3, "p2", "m2", "ok", t)] }),
  // Savings come from the response cache (another stage): this one is a hit.
  makeRecord(3001, { startedAt: t + 1, attempts: [attempt(1, "p2", "m2", "ok", t + 1)], cache: { kind: "exact", savedNanos: 700 } }),
  makeRecord(3002, { startedAt: t + 2, attempts: [attempt(1, "p1", "m1", "error", t + 2), attempt(2, "p1", "m9", "ok", t + 2)] }),
  makeRecord(3003, {
    startedAt: t + 2,
    status: 429,
    outcome: "failed",
    errorCode: "budget_exceeded",
    attempts: [],
    costNanos: 0,
    identity: { keyId: "key_b", userId: "bob", tags: { app: "web", env: "dev" } },
  }),
];

describe.each(storeKinds)("dashboard queries on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  let namedKey: { id: string; prefix: string };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    const created = await new KeyStore(sql).create({ userId: "alice", name: "search-backend" }, T0);
    namedKey = { id: created.key.id, prefix: created.key.prefix };
    const named = makeRecord(3004, { startedAt: t + 3, identity: { keyId: namedKey.id, userId: "alice", tags: {} }, costNanos: 9_000 });
    await insertRecords(sql, [...chat, embed, ...attempted, named]);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  it("latency and TTFT percentiles per route are the nearest-rank values, within the histograms' error", async () => {
    const report = await queryLatency(sql, { groupBy: "route", from: T0, to: T0 + 3 * HOUR });
    expect(report.groups.map(({ group, requests, errors }) => ({ group, requests, errors }))).toEqual([
      { group: "chat", requests: 100, errors: 0 },
      { group: "embed", requests: 1, errors: 0 },
    ]);
    const [chatGroup, embedGroup] = report.groups;
    expectNear(chatGroup!.latency, { p50: 50, p90: 90, p99: 99 });
    expectNear(chatGroup!.ttft, reference(latencies.filter((l) => l % 2 === 0).map((l) => l / 2)));
    expectNear(chatGroup!.ttft, { p50: 25, p90: 45, p99: 50 });
    // Below ~10 ms every bucket is one whole millisecond: exact.
    expect(embedGroup).toMatchObject({ latency: { p50: 7, p90: 7, p99: 7 }, ttft: { p50: 3, p90: 3, p99: 3 } });
    expect(report.series).toEqual([]);
  });

  it("percentiles per hour bucket, and groups without TTFT get nulls", async () => {
    const report = await queryLatency(sql, { groupBy: "provider", from: T0, to: T0 + 3 * HOUR, bucketMs: HOUR });
    expect(report.series.map((p) => [p.bucket, p.requests])).toEqual([
      [T0, 50],
      [T0 + HOUR, 50],
      [T0 + 2 * HOUR, 1],
    ]);
    const [first, second, third] = report.series;
    expectNear(first!.latency, reference(latencies.filter((l) => l <= 50)));
    expectNear(first!.ttft, { p50: 13, p90: 23, p99: 25 });
    expectNear(second!.latency, { p50: 75, p90: 95, p99: 100 });
    expectNear(second!.ttft, { p50: 38, p90: 48, p99: 50 });
    expect(third).toMatchObject({ latency: { p50: 7, p90: 7, p99: 7 }, ttft: { p50: 3, p90: 3, p99: 3 } });
    const refused = await queryLatency(sql, { groupBy: "route", from: t + 2, to: t + 3 });
    expect(refused.groups.map((g) => [g.group, g.requests, g.errors])).toEqual([["chat", 2, 1]]);
  });

  it("matches the reference percentiles on irregular data", async () => {
    const values = shuffled(
      Array.from({ length: 37 }, (_, i) => (i * 7919) % 1000),
      11,
    );
    const other = await createTestDatabase(kind);
    const otherSql = await openStore(other.url);
    try {
      await insertRecords(
        otherSql,
        values.map((latency, i) => makeRecord(i, { startedAt: T0 + i, route: "r", latencyMs: latency })),
      );
      const report = await queryLatency(otherSql, { groupBy: "route", from: T0, to: T0 + HOUR });
      expectNear(report.groups[0]!.latency, reference(values));
    } finally {
      await otherSql.close();
      await other.dispose();
    }
  });

  it("provider health tells retries (same target) from fallbacks (another target)", async () => {
    expect(await queryProviderHealth(sql, t, t + HOUR)).toEqual([
      { provider: "p1", attempts: 4, errors: 3, retries: 1, fallbacks: 2 },
      { provider: "p2", attempts: 2, errors: 0, retries: 0, fallbacks: 0 },
      { provider: "openai", attempts: 1, errors: 0, retries: 0, fallbacks: 0 },
    ]);
  });

  it("provider health counts a tool loop's or repair's next step as neither a retry nor a fallback", async () => {
    const other = await createTestDatabase(kind);
    const otherSql = await openStore(other.url);
    try {
      const attempt = makeRecord(1).attempts[0]!;
      // Two steps on one target, the second retried once after an error.
      const loop = makeRecord(1, {
        startedAt: T0,
        attempts: [
          { ...attempt, attempt: 1, provider: "p", model: "m" },
          { ...attempt, attempt: 2, provider: "p", model: "m", step: 2, status: "error" },
          { ...attempt, attempt: 3, provider: "p", model: "m", step: 2 },
        ],
      });
      await insertRecords(otherSql, [loop]);
      expect(await queryProviderHealth(otherSql, T0, T0 + HOUR)).toEqual([{ provider: "p", attempts: 3, errors: 1, retries: 1, fallbacks: 0 }]);
    } finally {
      await otherSql.close();
      await other.dispose();
    }
  });

  it("recent requests: newest first, key name joined, errors only on request", async () => {
    const recent = await queryRecentRequests(sql, { limit: 3, errorsOnly: false });
    expect(recent.map((r) => r.id)).toEqual(["req_003004", "req_003003", "req_003002"]);
    expect(recent[0]).toMatchObject({ key_id: namedKey.id, key_name: "search-backend", key_prefix: namedKey.prefix, cost_nanos: 9_000, user_id: "alice" });
    expect(recent[1]).toMatchObject({ key_name: null, status: 429, error_code: "budget_exceeded", attempts: 0 });
    const errors = await queryRecentRequests(sql, { limit: 50, errorsOnly: true });
    expect(errors.map((r) => r.id)).toEqual(["req_003003"]);
  });

  it("one request with its attempts in order", async () => {
    const found = await queryRequest(sql, "req_003000");
    expect(found?.request).toMatchObject({ id: "req_003000", attempts: 3, provider: "p2", model: "m2" });
    expect(found?.attempts.map((a) => [a.attempt, a.provider, a.model, a.status, a.error_code, a.upstream_status, a.duration_ms])).toEqual([
      [1, "p1", "m1", "error", "upstream_error", 503, 10],
      [2, "p1", "m1", "error", "upstream_error", 503, 20],
      [3, "p2", "m2", "ok", null, null, 30],
    ]);
    expect(await queryRequest(sql, "req_missing")).toBeUndefined();
  });

  it("summary totals, savings and tag names", async () => {
    const summary = await querySummary(sql, t, t + HOUR);
    expect(summary).toEqual({
      requests: 5,
      errors: 1,
      inputTokens: 50,
      outputTokens: 25,
      costNanos: 3 * 4500 + 9_000,
      savedNanos: 700,
      cacheHits: 1,
      tagNames: ["app", "env"],
    });
    expect(await querySummary(sql, T0 - HOUR, T0)).toEqual({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costNanos: 0, savedNanos: 0, cacheHits: 0, tagNames: [] });
  });

  it("active subjects: biggest spenders first, tags as name=value", async () => {
    expect(await queryActiveSubjects(sql, "user", t, 10)).toEqual(["alice", "bob"]);
    expect(await queryActiveSubjects(sql, "user", t, 1)).toEqual(["alice"]);
    expect(await queryActiveSubjects(sql, "team", t, 10)).toEqual(["red"]);
    expect(await queryActiveSubjects(sql, "tag", t, 10, "app")).toEqual(["app=web"]);
    expect((await queryActiveSubjects(sql, "tag", t, 10)).sort()).toEqual(["app=web", "env=dev", "env=prod"]);
  });
});
