import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { linesFor } from "./counter-lines.js";
import { MemoryBudgetStore } from "./memory-store.js";
import { RedisLeaseStore } from "./redis-lease-store.js";
import { RedisBudgetStore } from "./test-support/redis-store.js";
import { connected, deleteKeysUnder, testClient, uniquePrefix } from "./test-support/redis.js";
import type { BudgetRule, BudgetStore, CounterLine } from "./types.js";
import { windowOf } from "./windows.js";

const GRACE_MS = 60_000;
const prefix = uniquePrefix("store-contract");
const redis = testClient();
let stores = 0;

beforeAll(() => connected(redis));
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
});

interface Harness {
  store: BudgetStore;
  now(): number;
  advance(ms: number): void;
}

/**
 * Both stores run on an injected clock. It starts half an hour into an hour that lies in
 * the future, so that Redis (which expires keys on its own clock) keeps every key a test
 * writes until cleanup.
 */
function harness(make: (clock: () => number) => BudgetStore): () => Harness {
  return () => {
    let now = windowOf("hour", Date.now()).end + 30 * 60_000;
    return { store: make(() => now), now: () => now, advance: (ms) => void (now += ms) };
  };
}

const implementations: [string, () => Harness][] = [
  ["MemoryBudgetStore", harness((clock) => new MemoryBudgetStore({ clock, graceMs: GRACE_MS }))],
  ["RedisBudgetStore", harness((clock) => new RedisBudgetStore(redis, `${prefix}:${++stores}`, { clock, graceMs: GRACE_MS }))],
  ["RedisLeaseStore", harness((clock) => new RedisLeaseStore(redis, `${prefix}:${++stores}`, { clock, graceMs: GRACE_MS }))],
];

function line(counter: string, limit: number, amount: number, windowEndsAt = Infinity): CounterLine {
  return { counter, limit, amount, windowEndsAt, subject: "s", rule: { scope: "key", id: "*", period: "total", unit: "tokens", limit } };
}

describe.each(implementations)("%s", (_name, setup) => {
  test("reserves on every line or on none", async () => {
    const { store, now } = setup();
    const a = line("a", 100, 60);
    const b = line("b", 50, 60, now() + 3_600_000);
    expect(await store.reserve("r1", [a, b], 10_000)).toEqual({ ok: false, line: 1, remaining: 50, resetsAt: now() + 3_600_000 });
    expect(await store.read(["a", "b"])).toEqual([
      { spent: 0, reserved: 0 },
      { spent: 0, reserved: 0 },
    ]);
    expect(await store.reserve("r2", [a, { ...b, amount: 50 }], 10_000)).toEqual({ ok: true });
    expect(await store.read(["a", "b"])).toEqual([
      { spent: 0, reserved: 60 },
      { spent: 0, reserved: 50 },
    ]);
  });

  test("fits exactly up to the limit and not one unit more", async () => {
    const { store } = setup();
    expect(await store.reserve("r1", [line("c", 100, 70)], 10_000)).toEqual({ ok: true });
    expect(await store.reserve("r2", [line("c", 100, 31)], 10_000)).toMatchObject({ ok: false, line: 0, remaining: 30 });
    expect(await store.reserve("r3", [line("c", 100, 30)], 10_000)).toEqual({ ok: true });
    expect(await store.reserve("r4", [line("c", 100, 1)], 10_000)).toMatchObject({ ok: false, remaining: 0 });
    expect(await store.reserve("r5", [line("c", 100, 0)], 10_000)).toEqual({ ok: true });
  });

  test("settling lower than reserved gives the difference back", async () => {
    const { store } = setup();
    await store.reserve("r1", [line("c", 100, 80)], 10_000);
    await store.settle("r1", [line("c", 100, 30)]);
    expect(await store.read(["c"])).toEqual([{ spent: 30, reserved: 0 }]);
    expect(await store.reserve("r2", [line("c", 100, 70)], 10_000)).toEqual({ ok: true });
    expect(await store.reserve("r3", [line("c", 100, 1)], 10_000)).toMatchObject({ ok: false });
  });

  test("settling higher than reserved counts the actual, even past the limit", async () => {
    const { store } = setup();
    await store.reserve("r1", [line("c", 100, 80)], 10_000);
    await store.settle("r1", [line("c", 100, 130)]);
    expect(await store.read(["c"])).toEqual([{ spent: 130, reserved: 0 }]);
    expect(await store.reserve("r2", [line("c", 100, 0)], 10_000)).toMatchObject({ ok: false, line: 0, remaining: 0 });
  });

  test("a settlement without a reservation still counts", async () => {
    const { store } = setup();
    await store.settle("unknown", [line("c", 100, 25)]);
    expect(await store.read(["c"])).toEqual([{ spent: 25, reserved: 0 }]);
  });

  test("a replayed settlement (ifHeld) counts only while the reservation is held: twice is once", async () => {
    const { store } = setup();
    await store.reserve("r1", [line("c", 100, 80)], 10_000);
    await store.settle("r1", [line("c", 100, 30)], { ifHeld: true });
    await store.settle("r1", [line("c", 100, 30)], { ifHeld: true });
    await store.settle("never-reserved", [line("c", 100, 5)], { ifHeld: true });
    expect(await store.read(["c"])).toEqual([{ spent: 30, reserved: 0 }]);
  });

  test("an unsettled reservation stops holding capacity when its TTL ends, and settles late", async () => {
    const { store, advance } = setup();
    await store.reserve("crashed", [line("c", 100, 100)], 1_000);
    advance(999);
    expect(await store.reserve("r2", [line("c", 100, 1)], 1_000)).toMatchObject({ ok: false, remaining: 0 });
    advance(1);
    expect(await store.read(["c"])).toEqual([{ spent: 0, reserved: 0 }]);
    expect(await store.reserve("r3", [line("c", 100, 60)], 1_000)).toEqual({ ok: true });
    await store.settle("crashed", [line("c", 100, 40)]);
    expect(await store.read(["c"])).toEqual([{ spent: 40, reserved: 60 }]);
    await store.settle("r3", [line("c", 100, 60)]);
    expect(await store.read(["c"])).toEqual([{ spent: 100, reserved: 0 }]);
  });

  test("a reservation made again (a further call of the request) adds to it and holds a TTL from the last", async () => {
    const { store, advance } = setup();
    await store.reserve("r1", [line("c", 100, 30)], 1_000);
    advance(600);
    await store.reserve("r1", [line("c", 100, 20)], 1_000);
    advance(600);
    expect(await store.read(["c"])).toEqual([{ spent: 0, reserved: 50 }]);
    advance(400);
    expect(await store.read(["c"])).toEqual([{ spent: 0, reserved: 0 }]);
  });

  test("an expired reservation is released however many others were settled meanwhile", async () => {
    const { store, advance } = setup();
    await store.reserve("early", [line("c", 100, 10)], 1_000);
    await store.settle("early", [line("c", 100, 10)]);
    advance(500);
    await store.reserve("crashed", [line("c", 100, 40)], 1_000);
    advance(600);
    expect(await store.read(["c"])).toEqual([{ spent: 10, reserved: 40 }]);
    advance(400);
    expect(await store.read(["c"])).toEqual([{ spent: 10, reserved: 0 }]);
  });

  test("lines naming one counter twice must fit together", async () => {
    const { store } = setup();
    expect(await store.reserve("r1", [line("c", 100, 60), line("c", 100, 60)], 10_000)).toEqual({
      ok: false,
      line: 1,
      remaining: 40,
      resetsAt: Infinity,
    });
    expect(await store.reserve("r2", [line("c", 100, 50), line("c", 100, 50)], 10_000)).toEqual({ ok: true });
    expect(await store.read(["c"])).toEqual([{ spent: 0, reserved: 100 }]);
    await store.settle("r2", [line("c", 100, 30), line("c", 100, 20)]);
    expect(await store.read(["c"])).toEqual([{ spent: 50, reserved: 0 }]);
  });

  test("a new window starts from zero; the old one is dropped after its grace", async () => {
    const { store, now, advance } = setup();
    const rules: BudgetRule[] = [{ scope: "key", id: "*", period: "minute", unit: "requests", limit: 2 }];
    const request = () => linesFor(rules, { keyId: "key_a" }, { usdNanos: 0, tokens: 0, requests: 1 }, now());
    const first = request();
    const end = windowOf("minute", now()).end;
    expect(await store.reserve("r1", first, 120_000)).toEqual({ ok: true });
    expect(await store.reserve("r2", request(), 120_000)).toEqual({ ok: true });
    expect(await store.reserve("r3", request(), 120_000)).toEqual({ ok: false, line: 0, remaining: 0, resetsAt: end });

    advance(end - now());
    const second = request();
    expect(second[0]?.counter).not.toBe(first[0]?.counter);
    expect(await store.reserve("r4", second, 120_000)).toEqual({ ok: true });
    // Within the grace a late settlement still lands on the old window.
    await store.settle("r1", first);
    expect(await store.read([first[0]!.counter])).toEqual([{ spent: 1, reserved: 1 }]);

    advance(GRACE_MS);
    expect(await store.read([first[0]!.counter])).toEqual([{ spent: 0, reserved: 0 }]);
    await store.settle("r2", first);
    expect(await store.read([first[0]!.counter])).toEqual([{ spent: 0, reserved: 0 }]);
    expect(await store.read([second[0]!.counter])).toEqual([{ spent: 0, reserved: 1 }]);
  });

  test("a total counter never resets", async () => {
    const { store, advance } = setup();
    await store.settle("r1", [line("forever", 10, 7)]);
    advance(400 * 24 * 3_600_000);
    expect(await store.read(["forever"])).toEqual([{ spent: 7, reserved: 0 }]);
    expect(await store.reserve("r2", [line("forever", 10, 4)], 1_000)).toMatchObject({ ok: false, remaining: 3 });
  });

  test("unknown counters read as zero", async () => {
    const { store } = setup();
    expect(await store.read([])).toEqual([]);
    expect(await store.read(["nothing", "here"])).toEqual([
      { spent: 0, reserved: 0 },
      { spent: 0, reserved: 0 },
    ]);
  });

  test("an empty reservation always fits", async () => {
    const { store } = setup();
    expect(await store.reserve("r1", [], 1_000)).toEqual({ ok: true });
    await store.settle("r1", []);
  });

  test("malformed input is refused before any counter changes", async () => {
    const { store } = setup();
    await expect(store.reserve("r1", [line("c", 100, 10), line("d", 100, 1.5)], 1_000)).rejects.toThrow(RangeError);
    await expect(store.reserve("r1", [line("c", -1, 0)], 1_000)).rejects.toThrow(RangeError);
    await expect(store.reserve("r1", [line("c", 100, 1)], 0)).rejects.toThrow(RangeError);
    await expect(store.reserve("", [line("c", 100, 1)], 1_000)).rejects.toThrow(RangeError);
    await expect(store.settle("r1", [line("c", 100, -5)])).rejects.toThrow(RangeError);
    expect(await store.read(["c", "d"])).toEqual([
      { spent: 0, reserved: 0 },
      { spent: 0, reserved: 0 },
    ]);
  });
});
