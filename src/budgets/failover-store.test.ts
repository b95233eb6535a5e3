import { afterAll, afterEach, beforeAll, expect, test, vi } from "vitest";
import { waitFor } from "../../test/support/fake-upstream.js";
import { BudgetStoreUnavailableError } from "./errors.js";
import { FailoverBudgetStore } from "./failover-store.js";
import { MemoryBudgetStore } from "./memory-store.js";
import { RedisLeaseStore } from "./redis-lease-store.js";
import { BUDGET_REDIS_OPTIONS } from "./redis-client.js";
import { RedisBudgetStore } from "./test-support/redis-store.js";
import { connected, deleteKeysUnder, testClient, TEST_REDIS_PORT, uniquePrefix } from "./test-support/redis.js";
import { closedPort, TcpProxy } from "../../test/support/tcp-proxy.js";
import type { CounterLine } from "./types.js";

const prefix = uniquePrefix("failover-store");
const direct = testClient();
let proxy: TcpProxy;
const cleanups: (() => unknown)[] = [];
let stores = 0;

beforeAll(async () => {
  await connected(direct);
  proxy = await TcpProxy.start({ port: TEST_REDIS_PORT });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  proxy.restore();
});
afterAll(async () => {
  await proxy.close();
  await deleteKeysUnder(direct, prefix);
  direct.disconnect();
});

function line(counter: string, limit: number, amount: number): CounterLine {
  return { counter, limit, amount, windowEndsAt: Infinity, subject: "k", rule: { scope: "key", id: "*", period: "total", unit: "requests", limit } };
}

/** A fail-fast client that retries its connection quickly, so recovery shows up at once. */
function clientOn(port: number, options: { commandTimeout?: number } = {}) {
  const client = testClient({ port, retryStrategy: () => 10, commandTimeout: BUDGET_REDIS_OPTIONS.commandTimeout, ...options });
  cleanups.push(() => client.disconnect());
  return client;
}

function failover(mode: "closed" | "open", port: number, options: { commandTimeout?: number } = {}) {
  const logs: string[] = [];
  const client = clientOn(port, options);
  const local = new MemoryBudgetStore();
  const keys = `${prefix}:${++stores}`;
  const store = new FailoverBudgetStore(new RedisBudgetStore(client, keys), mode, local, (m) => logs.push(m), {
    timeoutMs: 150,
    probeIntervalMs: 20,
  });
  const shared = new RedisBudgetStore(direct, keys);
  return { store, client, local, shared, logs };
}

test("fail closed: an unreachable Redis is a 503 budget_store_unavailable, logged once", async () => {
  const { store, logs } = failover("closed", await closedPort());
  for (let i = 0; i < 3; i++) {
    const error = await store.reserve(`r${i}`, [line("c", 10, 1)], 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetStoreUnavailableError);
    expect(error).toMatchObject({ status: 503, type: "server_error", code: "budget_store_unavailable" });
  }
  await expect(store.read(["c"])).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
  await expect(store.settle("r0", [line("c", 10, 1)])).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
  expect(logs).toEqual([expect.stringMatching(/unavailable.*fail closed/)]);
});

test("fail closed: a Redis that stops answering fails the call within the timeout", async () => {
  const { store, client } = failover("closed", proxy.port, { commandTimeout: 60_000 });
  await connected(client);
  expect(await store.reserve("r1", [line("c", 10, 1)], 60_000)).toEqual({ ok: true });
  proxy.stall();
  const started = performance.now();
  await expect(store.reserve("r2", [line("c", 10, 1)], 60_000)).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
  expect(performance.now() - started).toBeLessThan(1_000);
});

test("fail open: local limits during the outage, Redis again after it, settlements where reserved", async () => {
  const { store, client, local, shared, logs } = failover("open", proxy.port);
  await connected(client);
  expect(await store.reserve("before", [line("c", 10, 3)], 60_000)).toEqual({ ok: true });
  expect(await shared.read(["c"])).toEqual([{ spent: 0, reserved: 3 }]);

  proxy.cut();
  expect(await store.reserve("during", [line("c", 10, 6)], 60_000)).toEqual({ ok: true });
  expect(await store.reserve("too-much", [line("c", 10, 6)], 60_000)).toMatchObject({ ok: false, line: 0, remaining: 4 });
  expect(await local.read(["c"])).toEqual([{ spent: 0, reserved: 6 }]);
  expect(await store.read(["c"])).toEqual([{ spent: 0, reserved: 6 }]);
  expect(logs).toEqual([expect.stringMatching(/unavailable.*fail open/)]);

  proxy.restore();
  await waitFor(async () => (await store.reserve(`probe-${Date.now()}`, [line("probe", 100, 1)], 60_000)).ok && logs.length === 2, {
    message: "the store never went back to Redis",
  });
  expect(logs[1]).toMatch(/is back/);
  expect(await store.reserve("after", [line("after", 10, 1)], 60_000)).toEqual({ ok: true });
  expect(await shared.read(["after"])).toEqual([{ spent: 0, reserved: 1 }]);
  expect(await local.read(["after"])).toEqual([{ spent: 0, reserved: 0 }]);

  await store.settle("during", [line("c", 10, 5)]);
  await store.settle("before", [line("c", 10, 2)]);
  expect(await local.read(["c"])).toEqual([{ spent: 5, reserved: 0 }]);
  expect(await shared.read(["c"])).toEqual([{ spent: 2, reserved: 0 }]);
  expect(logs).toHaveLength(2);
});

test("fail open: a settlement Redis cannot take still counts locally", async () => {
  const { store, client, local } = failover("open", proxy.port);
  await connected(client);
  expect(await store.reserve("r1", [line("c", 10, 4)], 60_000)).toEqual({ ok: true });
  proxy.cut();
  await store.settle("r1", [line("c", 10, 4)]);
  expect(await local.read(["c"])).toEqual([{ spent: 4, reserved: 0 }]);
});

test("a malformed call is an error of the caller, not an outage", async () => {
  const { store, logs } = failover("closed", await closedPort());
  await expect(store.reserve("r1", [line("c", 10, -1)], 60_000)).rejects.toThrow(RangeError);
  await expect(store.settle("r1", [line("c", 10, 0.5)])).rejects.toThrow(RangeError);
  expect(logs).toEqual([]);
});

/** A primary that applies reservations but, while `lose` is set, fails to answer: the reply was lost. */
class LossyStore extends MemoryBudgetStore {
  lose = false;
  calls = 0;

  override async reserve(...args: Parameters<MemoryBudgetStore["reserve"]>) {
    this.calls++;
    const result = await super.reserve(...args);
    if (this.lose) throw new Error("connection reset");
    return result;
  }

  override async read(...args: Parameters<MemoryBudgetStore["read"]>) {
    this.calls++;
    if (this.lose) throw new Error("connection reset");
    return super.read(...args);
  }
}

test("a reservation the primary applied though the call failed is released once it answers again", async () => {
  let now = 0;
  const primary = new LossyStore();
  const logs: string[] = [];
  const store = new FailoverBudgetStore(primary, "closed", new MemoryBudgetStore(), (m) => logs.push(m), { timeoutMs: 500, probeIntervalMs: 1_000, clock: () => now });
  primary.lose = true;
  await expect(store.reserve("lost", [line("c", 10, 7)], 60_000)).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
  primary.lose = false;
  expect(await primary.read(["c"])).toEqual([{ spent: 0, reserved: 7 }]);

  // Until the probe interval passes, calls do not wait on the primary at all.
  const calls = primary.calls;
  await expect(store.read(["c"])).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
  expect(primary.calls).toBe(calls);

  now += 1_000;
  expect(await store.read(["c"])).toEqual([{ spent: 0, reserved: 7 }]);
  await waitFor(async () => (await primary.read(["c"]))[0]?.reserved === 0, { message: "the lost reservation was never released" });
  expect(logs).toHaveLength(2);
});

test("a reservation granted from a lease (no I/O) makes no timer; a call left pending still times out", async () => {
  const leases = new RedisLeaseStore(direct, `${prefix}:${++stores}`);
  cleanups.push(() => leases.close());
  const answering = new FailoverBudgetStore(leases, "closed", new MemoryBudgetStore(), () => {}, { timeoutMs: 1_000 });
  const stuck = new (class extends MemoryBudgetStore {
    override reserve(): Promise<never> {
      return new Promise(() => {});
    }
  })();
  const pending = new FailoverBudgetStore(stuck, "closed", new MemoryBudgetStore(), () => {}, { timeoutMs: 50 });
  // The first reservation draws the lease from Redis.
  expect(await answering.reserve("r1", [line("c", 1_000, 1)], 60_000)).toEqual({ ok: true });
  const timers = vi.spyOn(globalThis, "setTimeout");
  try {
    expect(await answering.reserve("r2", [line("c", 1_000, 1)], 60_000)).toEqual({ ok: true });
    expect(timers).not.toHaveBeenCalled();
    await expect(pending.reserve("r1", [line("c", 10, 1)], 60_000)).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
    expect(timers).toHaveBeenCalledTimes(1);
  } finally {
    timers.mockRestore();
  }
});
