import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { waitFor } from "../../test/support/fake-upstream.js";
import { RedisScript } from "./redis-script.js";
import { RedisBudgetStore } from "./redis-store.js";
import { connected, deleteKeysUnder, keysUnder, testClient, TEST_REDIS_PORT, uniquePrefix } from "./test-support/redis.js";
import type { CounterLine } from "./types.js";
import { WINDOW_GRACE_MS, windowOf } from "./windows.js";

const prefix = uniquePrefix("redis-store");
const redis = testClient();

beforeAll(() => connected(redis));
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
});

function line(counter: string, limit: number, amount: number, windowEndsAt: number): CounterLine {
  return { counter, limit, amount, windowEndsAt, subject: "s", rule: { scope: "key", id: "*", period: "hour", unit: "tokens", limit } };
}

test("without a clock, reservations expire on the Redis server's time", async () => {
  const store = new RedisBudgetStore(redis, `${prefix}:time`);
  const end = windowOf("hour", Date.now()).end;
  expect(await store.reserve("r1", [line("c", 10, 10, end)], 50)).toEqual({ ok: true });
  expect(await store.reserve("r2", [line("c", 10, 1, end)], 50)).toMatchObject({ ok: false });
  await waitFor(async () => (await store.read(["c"]))[0]?.reserved === 0, { message: "the reservation never expired" });
  expect(await store.reserve("r3", [line("c", 10, 10, end)], 60_000)).toEqual({ ok: true });
});

test("a call's keys share one hash tag and expire a grace after their window; total keys never do", async () => {
  const store = new RedisBudgetStore(redis, `${prefix}:keys`);
  const end = windowOf("hour", Date.now()).end;
  await store.reserve("r1", [line("hourly", 10, 1, end), line("total", 10, 1, Infinity)], 60_000);
  const keys = (await keysUnder(redis, `${prefix}:keys}`)).sort();
  expect(keys).toEqual(["e:hourly", "e:total", "r:hourly", "r:total", "s:hourly", "s:total"].map((suffix) => `{${prefix}:keys}:${suffix}`));
  for (const key of keys.filter((k) => k.endsWith("hourly"))) expect(await redis.pexpiretime(key)).toBe(end + WINDOW_GRACE_MS);
  for (const key of keys.filter((k) => k.endsWith("total"))) expect(await redis.pexpiretime(key)).toBe(-1);
});

test("amounts past 14 digits stay exact integers", async () => {
  const store = new RedisBudgetStore(redis, `${prefix}:big`);
  const big = 2 ** 53 - 1;
  expect(await store.reserve("r1", [line("c", big, big - 2, Infinity)], 60_000)).toEqual({ ok: true });
  expect(await store.reserve("r2", [line("c", big, 3, Infinity)], 60_000)).toMatchObject({ ok: false, remaining: 2 });
  await store.settle("r1", [line("c", big, 123_456_789_012_345, Infinity)]);
  expect(await store.read(["c"])).toEqual([{ spent: 123_456_789_012_345, reserved: 0 }]);
});

test("a script the server does not know is sent once, then run by its SHA", async () => {
  const script = new RedisScript(`return ARGV[1] .. '-${randomUUID()}'`);
  expect(await script.run(redis, [], ["first"])).toMatch(/^first-/);
  expect(await script.run(redis, [], ["second"])).toMatch(/^second-/);
});

test("refuses a prefix with braces, which would break the hash tag", () => {
  expect(() => new RedisBudgetStore(redis, "a{b}")).toThrow(RangeError);
});

test("closes a client it created from a URL, never one it was given", async () => {
  const owned = new RedisBudgetStore(`redis://127.0.0.1:${TEST_REDIS_PORT}`, `${prefix}:url`);
  // The first call waits for the first connection rather than failing fast.
  expect(await owned.read(["c"])).toEqual([{ spent: 0, reserved: 0 }]);
  await owned.close();
  await expect(owned.read(["c"])).rejects.toThrow();

  const given = new RedisBudgetStore(redis, `${prefix}:given`);
  await given.close();
  expect(await given.read(["c"])).toEqual([{ spent: 0, reserved: 0 }]);
});
