import { afterAll, beforeAll, expect, test } from "vitest";
import { waitFor } from "../../../test/support/fake-upstream.js";
import type { CounterLine } from "../types.js";
import { WINDOW_GRACE_MS, windowOf } from "../windows.js";
import { connected, countingClient, deleteKeysUnder, keysUnder, testClient, TEST_REDIS_PORT, uniquePrefix } from "./redis.js";
import { RedisBudgetStore } from "./redis-store.js";

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

test("calls made in one turn go to Redis as one script, applied in the order they were made", async () => {
  const { client, commands } = await countingClient();
  const store = new RedisBudgetStore(client, `${prefix}:turn`);
  const results = await Promise.all([
    store.reserve("r1", [line("c", 10, 8, Infinity)], 60_000),
    store.reserve("r2", [line("c", 10, 3, Infinity)], 60_000),
    store.settle("r1", [line("c", 10, 5, Infinity)]),
    store.reserve("r3", [line("c", 10, 3, Infinity), line("d", 10, 1, Infinity)], 60_000),
    store.reserve("r4", [line("d", 10, 1, Infinity), line("c", 10, 3, Infinity)], 60_000),
  ]);
  expect(commands()).toBe(1);
  expect(results).toEqual([{ ok: true }, { ok: false, line: 0, remaining: 2, resetsAt: Infinity }, undefined, { ok: true }, { ok: false, line: 1, remaining: 2, resetsAt: Infinity }]);
  expect(await store.read(["c", "d"])).toEqual([
    { spent: 5, reserved: 3 },
    { spent: 0, reserved: 1 },
  ]);
  client.disconnect();
});

test("closing sends what is queued first: a settlement is not lost", async () => {
  const owned = new RedisBudgetStore(`redis://127.0.0.1:${TEST_REDIS_PORT}`, `${prefix}:close`);
  await owned.reserve("r1", [line("c", 10, 8, Infinity)], 60_000);
  const settled = owned.settle("r1", [line("c", 10, 6, Infinity)]);
  await owned.close();
  await settled;
  expect(await new RedisBudgetStore(redis, `${prefix}:close`).read(["c"])).toEqual([{ spent: 6, reserved: 0 }]);
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
