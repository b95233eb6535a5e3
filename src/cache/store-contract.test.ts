import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connected, deleteKeysUnder, testClient, uniquePrefix } from "../budgets/test-support/redis.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, type TestDatabase } from "../store/test-support/test-database.js";
import type { CacheStore } from "./cache-store.js";
import { MemoryCacheStore } from "./memory-store.js";
import { RedisCacheStore } from "./redis-store.js";
import { SqlCacheStore } from "./sql-store.js";

// One contract for every cache store: what the response cache relies on, whatever holds the entries.
const prefix = uniquePrefix("cache-store-contract");
const redis = testClient();
let db: TestDatabase;
let sql: Sql;
let stores = 0;

beforeAll(async () => {
  await connected(redis);
  db = await createTestDatabase("sqlite");
  sql = await openStore(db.url);
});
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
  await sql.close();
  await db.dispose();
});

const implementations: [string, () => CacheStore][] = [
  ["MemoryCacheStore", () => new MemoryCacheStore(1024 * 1024)],
  ["SqlCacheStore (SQLite)", () => new SqlCacheStore(async () => sql)],
  ["RedisCacheStore", () => new RedisCacheStore(redis, `{${prefix}}:${++stores}`, { commandTimeoutMs: 500 })],
];

// A clock of the test's own, well ahead of real time: Redis's own expiry (PX) never interferes.
const NOW = Date.now() + 3_600_000;

describe.each(implementations)("%s", (_name, make) => {
  test("returns what was stored, and nothing for an unknown key", async () => {
    const store = make();
    const value = JSON.stringify({ text: "héllo ✓", n: [1, 2, 3] });
    await store.set("k1", value, NOW + 60_000, NOW);
    expect(await store.get("k1", NOW)).toBe(value);
    expect(await store.get("k1-other", NOW)).toBeUndefined();
  });

  test("an entry expires on the cache's clock, exactly at its expiry", async () => {
    const store = make();
    await store.set("k2", "v", NOW + 10_000, NOW);
    expect(await store.get("k2", NOW + 9_999)).toBe("v");
    expect(await store.get("k2", NOW + 10_000)).toBeUndefined();
  });

  test("a second write replaces the value and its expiry", async () => {
    const store = make();
    await store.set("k3", "old", NOW + 1_000, NOW);
    await store.set("k3", "new", NOW + 50_000, NOW);
    expect(await store.get("k3", NOW + 20_000)).toBe("new");
  });

  test("purge deletes what expired and keeps the rest", async () => {
    const store = make();
    await store.set("k4-old", "a", NOW + 1_000, NOW);
    await store.set("k4-new", "b", NOW + 100_000, NOW);
    await store.purge(NOW + 2_000);
    expect(await store.get("k4-new", NOW + 2_000)).toBe("b");
    // Read at an earlier time: a purged entry is gone, not merely hidden by the clock (Redis expires on its own).
    if (store.kind !== "redis") expect(await store.get("k4-old", NOW)).toBeUndefined();
  });

  test("keeps large values intact", async () => {
    const store = make();
    const value = "x".repeat(200_000);
    await store.set("k5", value, NOW + 60_000, NOW);
    expect(await store.get("k5", NOW)).toBe(value);
  });
});

test("the SQLite store keeps entries in tollgate_cache and purges them from it", async () => {
  const store = new SqlCacheStore(async () => sql);
  await store.set("row-1", "v", NOW + 5, NOW);
  expect(await sql.query("SELECT value, expires_at FROM tollgate_cache WHERE key = 'row-1'")).toEqual([{ value: "v", expires_at: NOW + 5 }]);
  await store.purge(NOW + 5);
  expect(await sql.query("SELECT key FROM tollgate_cache WHERE key = 'row-1'")).toEqual([]);
});

test("the Redis store sets a TTL and keeps its keys under the prefix", async () => {
  const keys = `{${prefix}}:ttl`;
  const store = new RedisCacheStore(redis, keys, { commandTimeoutMs: 500 });
  await store.set("abc", "v", NOW + 30_000, NOW);
  const ttl = await redis.pttl(`${keys}:cache:abc`);
  expect(ttl).toBeGreaterThan(29_000);
  expect(ttl).toBeLessThanOrEqual(30_000);
});
