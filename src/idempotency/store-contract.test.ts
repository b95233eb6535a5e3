import { randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/fake-upstream.js";
import { connected, testClient } from "../budgets/test-support/redis.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, type TestDatabase } from "../store/test-support/test-database.js";
import { MemoryIdempotencyStore } from "./memory-store.js";
import { RedisIdempotencyStore } from "./redis-store.js";
import { SqlIdempotencyStore } from "./sql-store.js";
import { deleteUnder, idempotencyTestPrefix, TEST_REDIS_URL } from "./test-support/redis-prefix.js";
import type { IdempotencyStore, StoredReplay } from "./types.js";

/** Two handles on one store's data, as two gateway instances would hold them. */
interface Harness {
  a: IdempotencyStore;
  b: IdempotencyStore;
  /** A lease (or retention) this short lapses within the test. */
  shortMs: number;
  /** Lets `ms` pass for the store (a clock for memory and SQL; real time for Redis's TTLs), until `check` holds. */
  after(ms: number, check: () => Promise<boolean>): Promise<void>;
  close(): Promise<void>;
}

const PREFIX = idempotencyTestPrefix("store-contract");
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function clocked(make: (clock: () => number) => [IdempotencyStore, IdempotencyStore], close: () => Promise<void> = async () => {}): Harness {
  let now = 1_000_000;
  const [a, b] = make(() => now);
  return {
    a,
    b,
    shortMs: 1_000,
    async after(ms, check) {
      now += ms + 1;
      expect(await check()).toBe(true);
    },
    close,
  };
}

async function sqlHarness(kind: "sqlite" | "postgres"): Promise<Harness> {
  const db: TestDatabase = await createTestDatabase(kind);
  // Postgres: two connections, as two instances have; SQLite: one file.
  const first: Sql = await openStore(db.url);
  const second: Sql = kind === "postgres" ? await openStore(db.url) : first;
  return clocked(
    (clock) => [new SqlIdempotencyStore(async () => first, clock), new SqlIdempotencyStore(async () => second, clock)],
    async () => {
      await first.close();
      if (second !== first) await second.close();
      await db.dispose();
    },
  );
}

const harnesses: Record<string, () => Promise<Harness>> = {
  memory: async () =>
    clocked((clock) => {
      const store = new MemoryIdempotencyStore(clock);
      return [store, store];
    }),
  sqlite: () => sqlHarness("sqlite"),
  postgres: () => sqlHarness("postgres"),
  redis: async () => {
    const a = new RedisIdempotencyStore(TEST_REDIS_URL, PREFIX);
    const b = new RedisIdempotencyStore(TEST_REDIS_URL, PREFIX);
    return {
      a,
      b,
      shortMs: 150,
      after: (_ms, check) => waitFor(check, { intervalMs: 25, message: "the Redis TTL never lapsed" }),
      close: async () => {
        await a.close();
        await b.close();
      },
    };
  },
};

cleanup.push(async () => {
  const client = await connected(testClient());
  await deleteUnder(client, PREFIX);
  await client.quit();
});

function replayOf(requestId: string): StoredReplay {
  return { requestId, completedAt: 1_234, costNanos: 5_000, outcome: { kind: "error", status: 400, type: "invalid_request_error", code: "bad", message: "no", param: null } };
}

const never = new AbortController().signal;

describe.each(Object.keys(harnesses))("idempotency store: %s", (kind) => {
  let h: Harness;
  let key: string;
  beforeEach(async () => {
    h = await harnesses[kind]!();
    key = randomUUID();
    return () => h.close();
  });

  it("lets exactly one of many concurrent requests take a key; the others see it running with its fingerprint", async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? h.a : h.b).begin(key, `req_${i}`, "fp1", 10_000)));
    expect(claims.filter((c) => c.state === "acquired")).toHaveLength(1);
    expect(claims.filter((c) => c.state === "running").map((c) => c.state === "running" && c.fingerprint)).toEqual(Array(19).fill("fp1"));
  });

  it("hands the completed answer to every later request, from either instance, until its retention lapses", async () => {
    expect((await h.a.begin(key, "req_1", "fp1", 10_000)).state).toBe("acquired");
    expect(await h.a.complete(key, "req_1", replayOf("req_1"), h.shortMs)).toBe(true);
    for (const store of [h.a, h.b]) expect(await store.begin(key, "req_2", "fp2", 10_000)).toEqual({ state: "done", fingerprint: "fp1", replay: replayOf("req_1") });
    await h.after(h.shortMs, async () => (await h.b.begin(key, "req_3", "fp3", 10_000)).state === "acquired");
  });

  it("frees a released key for the next request, and only its holder can release, renew or complete it", async () => {
    await h.a.begin(key, "req_1", "fp1", 10_000);
    await h.b.release(key, "req_2");
    expect(await h.b.renew(key, "req_2", 10_000)).toBe(false);
    expect(await h.b.complete(key, "req_2", replayOf("req_2"), 60_000)).toBe(false);
    expect((await h.b.begin(key, "req_2", "fp1", 10_000)).state).toBe("running");
    expect(await h.a.renew(key, "req_1", 10_000)).toBe(true);
    await h.a.release(key, "req_1");
    expect((await h.b.begin(key, "req_2", "fp2", 10_000)).state).toBe("acquired");
  });

  it("frees the key of a holder that stopped renewing its lease, which then can no longer complete it", async () => {
    await h.a.begin(key, "req_1", "fp1", h.shortMs);
    await h.after(h.shortMs, async () => (await h.b.begin(key, "req_2", "fp2", 10_000)).state === "acquired");
    expect(await h.a.renew(key, "req_1", 10_000)).toBe(false);
    expect(await h.a.complete(key, "req_1", replayOf("req_1"), 60_000)).toBe(false);
    expect(await h.b.complete(key, "req_2", replayOf("req_2"), 60_000)).toBe(true);
    expect(await h.a.begin(key, "req_3", "fp2", 10_000)).toMatchObject({ state: "done", replay: { requestId: "req_2" } });
  });

  it("wakes a watcher on the holder's instance when the key completes or is released", async () => {
    await h.a.begin(key, "req_1", "fp1", 10_000);
    const watch = await h.a.watch(key);
    await h.a.release(key, "req_1");
    // Already notified: resolves at once, though the timeout is far away.
    await watch.changed(60_000, never);
    await h.a.begin(key, "req_2", "fp1", 10_000);
    const woken = watch.changed(60_000, never);
    await h.a.complete(key, "req_2", replayOf("req_2"), 60_000);
    await woken;
    watch.close();
  });

  it("stops a wait when the waiting client leaves", async () => {
    const watch = await h.a.watch(key);
    const leave = new AbortController();
    const waiting = watch.changed(60_000, leave.signal);
    leave.abort(new Error("client left"));
    await expect(waiting).rejects.toThrow("client left");
    watch.close();
  });
});

describe("idempotency store: redis across instances", () => {
  it("wakes a waiter on another instance through pub/sub when the key completes", async () => {
    const a = new RedisIdempotencyStore(TEST_REDIS_URL, PREFIX);
    const b = new RedisIdempotencyStore(TEST_REDIS_URL, PREFIX);
    const key = randomUUID();
    try {
      await a.begin(key, "req_1", "fp1", 10_000);
      const watch = await b.watch(key);
      const woken = watch.changed(60_000, never);
      await a.complete(key, "req_1", replayOf("req_1"), 60_000);
      await woken;
      expect(await b.begin(key, "req_2", "fp1", 10_000)).toMatchObject({ state: "done" });
      watch.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
