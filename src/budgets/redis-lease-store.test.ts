import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { waitFor } from "../../test/support/fake-upstream.js";
import { RedisLeaseStore } from "./redis-lease-store.js";
import { connected, countingClient, deleteKeysUnder, keysUnder, testClient, TEST_REDIS_PORT, uniquePrefix } from "./test-support/redis.js";
import type { CounterLine } from "./types.js";
import { WINDOW_GRACE_MS, windowOf } from "./windows.js";

const prefix = uniquePrefix("redis-lease-store");
// Separate connections stand for separate gateway instances.
const clients = [testClient(), testClient(), testClient()];
const redis = clients[0]!;
let runs = 0;

beforeAll(() => Promise.all(clients.map(connected)));
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  for (const client of clients) client.disconnect();
});

function line(counter: string, limit: number, amount: number, windowEndsAt = Infinity): CounterLine {
  return { counter, limit, amount, windowEndsAt, subject: "s", rule: { scope: "key", id: "*", period: "total", unit: "tokens", limit } };
}

/** The counter as Redis holds it: every instance's leases are in `reserved`. */
async function raw(keyPrefix: string, counter: string): Promise<{ spent: number; reserved: number }> {
  const [spent, reserved] = await redis.hmget(`{${keyPrefix}}:s:${counter}`, "spent", "reserved");
  return { spent: Number(spent ?? 0), reserved: Number(reserved ?? 0) };
}

test("instances drawing leases concurrently never jointly exceed a limit, whatever the amounts and interleaving", async () => {
  const step = fc.record({
    instance: fc.integer({ min: 0, max: 2 }),
    amount: fc.integer({ min: 0, max: 400 }),
    spentShare: fc.double({ min: 0, max: 1, noNaN: true }),
    settleAfter: fc.integer({ min: 0, max: 3 }),
  });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2_000 }), fc.array(fc.array(step, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }), async (limit, rounds) => {
      const keyPrefix = `${prefix}:prop:${++runs}`;
      const stores = clients.map((client) => new RedisLeaseStore(client, keyPrefix, { idleMs: 60_000 }));
      const granted = new Map<string, { instance: number; amount: number; spent: number; settleAt: number }>();
      let settled = 0;
      let id = 0;
      for (const [round, requests] of rounds.entries()) {
        // One round's calls run concurrently, on all instances at once; settlements due now go with them.
        const due = [...granted].filter(([, g]) => g.settleAt <= round);
        const calls = [
          ...requests.map(async (r) => {
            const rid = `q${++id}`;
            const result = await stores[r.instance]!.reserve(rid, [line("c", limit, r.amount)], 60_000);
            if (result.ok) granted.set(rid, { instance: r.instance, amount: r.amount, spent: Math.floor(r.amount * r.spentShare), settleAt: round + r.settleAfter });
          }),
          ...due.map(async ([rid, g]) => {
            granted.delete(rid);
            await stores[g.instance]!.settle(rid, [line("c", limit, g.spent)]);
            settled += g.spent;
          }),
        ];
        await Promise.all(calls);
        // What the instances granted and have not settled, and what was spent, fit in the limit...
        const outstanding = [...granted.values()].reduce((sum, g) => sum + g.amount, 0);
        expect(outstanding + settled).toBeLessThanOrEqual(limit);
        // ...and so does what Redis holds for them: spend and every lease.
        const state = await raw(keyPrefix, "c");
        expect(state.spent + state.reserved).toBeLessThanOrEqual(limit);
      }
      await Promise.all([...granted].map(([rid, g]) => stores[g.instance]!.settle(rid, [line("c", limit, g.spent)]).then(() => (settled += g.spent))));
      await Promise.all(stores.map((store) => store.close()));
      expect(await raw(keyPrefix, "c")).toEqual({ spent: settled, reserved: 0 });
    }),
    { numRuns: 40 },
  );
});

test("a reservation that fits in the lease costs no round trip; spend reaches Redis in the next script", async () => {
  const { client, commands } = await countingClient();
  const keyPrefix = `${prefix}:local`;
  const store = new RedisLeaseStore(client, keyPrefix);
  expect(await store.reserve("r1", [line("c", 1_000_000, 100)], 60_000)).toEqual({ ok: true });
  const drawn = commands();
  for (let i = 2; i <= 4; i++) expect(await store.reserve(`r${i}`, [line("c", 1_000_000, 100)], 60_000)).toEqual({ ok: true });
  expect(commands()).toBe(drawn);
  await Promise.all([1, 2, 3, 4].map((i) => store.settle(`r${i}`, [line("c", 1_000_000, 10 * i)])));
  expect(commands()).toBe(drawn + 1);
  expect((await raw(keyPrefix, "c")).spent).toBe(100);
  await store.close();
  expect(await raw(keyPrefix, "c")).toEqual({ spent: 100, reserved: 0 });
  client.disconnect();
});

test("requests one after another draw about once per second of their spend, not every few requests", async () => {
  const { client, commands } = await countingClient();
  let now = Date.now();
  const store = new RedisLeaseStore(client, `${prefix}:rate`, { clock: () => now });
  let draws = 0;
  // 1,000 requests of one unit each (a requests counter), 2 ms apart: two seconds.
  for (let i = 0; i < 1_000; i++) {
    const before = commands();
    expect(await store.reserve(`r${i}`, [line("c", 1_000_000_000, 1)], 60_000)).toEqual({ ok: true });
    if (commands() > before) draws++;
    await store.settle(`r${i}`, [line("c", 1_000_000_000, 1)]);
    now += 2;
  }
  // Drawing room for four more requests each time, it drew 200 times.
  expect(draws).toBeLessThanOrEqual(6);
  expect(await store.read(["c"])).toEqual([{ spent: 1_000, reserved: expect.any(Number) }]);
  await store.close();
  expect(await raw(`${prefix}:rate`, "c")).toEqual({ spent: 1_000, reserved: 0 });
  client.disconnect();
});

test("from the lease, a reservation naming a counter twice or made again holds the sums; its settlement gives each hold back once", async () => {
  const { client, commands } = await countingClient();
  const store = new RedisLeaseStore(client, `${prefix}:sums`);
  const limit = 1_000_000;
  expect(await store.reserve("r0", [line("c", limit, 100), line("d", limit, 100)], 60_000)).toEqual({ ok: true });
  const drawn = commands();
  expect(await store.reserve("r1", [line("c", limit, 50), line("c", limit, 50), line("d", limit, 10)], 60_000)).toEqual({ ok: true });
  expect(await store.reserve("r1", [line("d", limit, 5)], 60_000)).toEqual({ ok: true });
  expect(commands()).toBe(drawn);
  expect(await store.read(["c", "d"])).toEqual([
    { spent: 0, reserved: 200 },
    { spent: 0, reserved: 115 },
  ]);
  // Names c twice and not d: c's hold goes once, d's all the same.
  await store.settle("r1", [line("c", limit, 30), line("c", limit, 20)]);
  expect(await store.read(["c", "d"])).toEqual([
    { spent: 50, reserved: 100 },
    { spent: 0, reserved: 100 },
  ]);
  await store.settle("r0", [line("c", limit, 1), line("d", limit, 2)]);
  expect(await store.read(["c", "d"])).toEqual([
    { spent: 51, reserved: 0 },
    { spent: 2, reserved: 0 },
  ]);
  await store.close();
  client.disconnect();
});

test("reads on any instance reflect spend once the settlement's script is applied", async () => {
  const keyPrefix = `${prefix}:reads`;
  const [a, b] = [new RedisLeaseStore(clients[0]!, keyPrefix), new RedisLeaseStore(clients[1]!, keyPrefix)];
  await a.reserve("r1", [line("c", 10_000, 500)], 60_000);
  await b.reserve("r2", [line("c", 10_000, 500)], 60_000);
  // The other instance's unused lease counts as reserved until it is handed back; its own reservation always.
  expect((await a.read(["c"]))[0]!.spent).toBe(0);
  await a.settle("r1", [line("c", 10_000, 123)]);
  expect((await b.read(["c"]))[0]!.spent).toBe(123);
  await b.settle("r2", [line("c", 10_000, 7)]);
  expect((await a.read(["c"]))[0]!.spent).toBe(130);
  await Promise.all([a.close(), b.close()]);
  expect(await a.read(["c"])).toEqual([{ spent: 130, reserved: 0 }]);
});

test("near the limit a request that fits in what truly remains is granted once the other instance's idle lease is handed back", async () => {
  const keyPrefix = `${prefix}:idle`;
  const a = new RedisLeaseStore(clients[0]!, keyPrefix, { idleMs: 50 });
  const b = new RedisLeaseStore(clients[1]!, keyPrefix, { idleMs: 50 });
  // A draws room for more requests than this one; settled, its lease stays until idle.
  expect(await a.reserve("a1", [line("c", 10_000, 100)], 60_000)).toEqual({ ok: true });
  await a.settle("a1", [line("c", 10_000, 100)]);
  const { reserved } = await raw(keyPrefix, "c");
  expect(reserved).toBeGreaterThan(0);
  // B needs all that truly remains: refused while A's lease holds part of it...
  expect(await b.reserve("b1", [line("c", 10_000, 9_900)], 60_000)).toMatchObject({ ok: false, remaining: 9_900 - reserved });
  // ...granted once A, idle, has handed it back.
  await waitFor(async () => (await raw(keyPrefix, "c")).reserved === 0, { message: "the idle lease was never handed back" });
  expect(await b.reserve("b2", [line("c", 10_000, 9_900)], 60_000)).toEqual({ ok: true });
  await Promise.all([a.close(), b.close()]);
});

test("a dead instance's lease expires, and its budget becomes available to the others", async () => {
  const keyPrefix = `${prefix}:dead`;
  const deadClient = await connected(testClient());
  const dead = new RedisLeaseStore(deadClient, keyPrefix, { leaseSlackMs: 200, idleMs: 60_000 });
  const end = windowOf("hour", Date.now()).end;
  expect(await dead.reserve("d1", [line("c", 1_000, 1_000, end)], 100)).toEqual({ ok: true });
  // The process dies: nothing it holds is ever settled, renewed or handed back.
  deadClient.disconnect();
  const other = new RedisLeaseStore(clients[1]!, keyPrefix);
  expect(await other.reserve("o1", [line("c", 1_000, 1, end)], 60_000)).toMatchObject({ ok: false, remaining: 0 });
  await waitFor(async () => (await other.read(["c"]))[0]!.reserved === 0, { message: "the dead lease never expired" });
  expect(await other.reserve("o2", [line("c", 1_000, 1_000, end)], 60_000)).toEqual({ ok: true });
  await Promise.all([dead.close(), other.close()]);
});

test("after a crash, the restart's replayed settlements count once, whether or not the dead process applied them, and its leases are released", async () => {
  const keyPrefix = `${prefix}:crash`;
  const deadClient = await connected(testClient());
  const dead = new RedisLeaseStore(deadClient, keyPrefix, { owner: "gw-1", idleMs: 60_000 });
  await dead.reserve("applied", [line("c", 10_000, 300)], 60_000);
  await dead.reserve("lost", [line("c", 10_000, 300)], 60_000);
  await dead.reserve("never-began", [line("c", 10_000, 300)], 60_000);
  // Applied in Redis, but the journal's note of it did not make it before the crash.
  await dead.settle("applied", [line("c", 10_000, 40)]);
  deadClient.disconnect();
  expect((await raw(keyPrefix, "c")).spent).toBe(40);

  // The restart (same owner: the same journal) replays both, twice for good measure, then is done.
  const restarted = new RedisLeaseStore(clients[1]!, keyPrefix, { owner: "gw-1" });
  const other = new RedisLeaseStore(clients[2]!, keyPrefix, { owner: "gw-2" });
  for (let i = 0; i < 2; i++) {
    await restarted.settle("applied", [line("c", 10_000, 40)], { ifHeld: true });
    await restarted.settle("lost", [line("c", 10_000, 25)], { ifHeld: true });
  }
  // Another gateway's replay of a request it never saw counts nothing.
  await other.settle("lost", [line("c", 10_000, 25)], { ifHeld: true });
  expect((await raw(keyPrefix, "c")).spent).toBe(65);
  expect((await raw(keyPrefix, "c")).reserved).toBeGreaterThan(0);
  await restarted.recovered();
  expect(await raw(keyPrefix, "c")).toEqual({ spent: 65, reserved: 0 });
  await Promise.all([dead.close(), restarted.close(), other.close()]);
});

test("a counter's keys share one hash tag and expire a grace after their window, a total's never; the instance's own keys expire", async () => {
  const keyPrefix = `${prefix}:keys`;
  const store = new RedisLeaseStore(redis, keyPrefix);
  const end = windowOf("hour", Date.now()).end;
  // Settled, the lease keeps room for more: its reservation stays in the counters' keys.
  await store.reserve("r1", [line("hourly", 1_000, 1, end), line("total", 1_000, 1)], 60_000);
  await store.settle("r1", [line("hourly", 1_000, 1, end), line("total", 1_000, 1)]);
  const keys = await keysUnder(redis, `${keyPrefix}}`);
  const counters = keys.filter((k) => /:[sre]:(hourly|total)$/.test(k)).sort();
  expect(counters).toEqual(["e:hourly", "e:total", "r:hourly", "r:total", "s:hourly", "s:total"].map((suffix) => `{${keyPrefix}}:${suffix}`));
  for (const key of counters) expect(await redis.pexpiretime(key)).toBe(key.endsWith("hourly") ? end + WINDOW_GRACE_MS : -1);
  // The rest: this instance's lease owners and done marks.
  const own = keys.filter((k) => !counters.includes(k));
  expect(own.map((k) => k.slice(`{${keyPrefix}}:`.length, `{${keyPrefix}}:`.length + 2)).sort()).toEqual(["d:", "o:"]);
  for (const key of own) expect(await redis.pexpiretime(key)).toBeGreaterThan(0);
  await store.close();
});

test("amounts past 14 digits stay exact integers", async () => {
  const store = new RedisLeaseStore(redis, `${prefix}:big`);
  const big = 2 ** 53 - 1;
  expect(await store.reserve("r1", [line("c", big, big - 2)], 60_000)).toEqual({ ok: true });
  expect(await store.reserve("r2", [line("c", big, 3)], 60_000)).toMatchObject({ ok: false, remaining: 2 });
  await store.settle("r1", [line("c", big, 123_456_789_012_345)]);
  expect(await store.read(["c"])).toEqual([{ spent: 123_456_789_012_345, reserved: 0 }]);
  await store.close();
});

test("refuses a prefix with braces, which would break the hash tag", () => {
  expect(() => new RedisLeaseStore(redis, "a{b}")).toThrow(RangeError);
});

test("closes a client it created from a URL, never one it was given", async () => {
  const owned = new RedisLeaseStore(`redis://127.0.0.1:${TEST_REDIS_PORT}`, `${prefix}:url`);
  // The first call waits for the first connection rather than failing fast.
  expect(await owned.read(["c"])).toEqual([{ spent: 0, reserved: 0 }]);
  await owned.close();
  await expect(owned.read(["c"])).rejects.toThrow();

  const given = new RedisLeaseStore(redis, `${prefix}:given`);
  await given.close();
  expect(await given.read(["c"])).toEqual([{ spent: 0, reserved: 0 }]);
});
