import { expect, test } from "vitest";
import { MemoryCacheStore } from "./memory-store.js";

const FAR = Number.MAX_SAFE_INTEGER;
// Each entry below: key "kN" (2 chars) + a value of 98 chars = 100 UTF-16 units = 200 bytes.
const value = (c: string) => c.repeat(98);

test("evicts the least recently used entries once its bytes exceed the bound", async () => {
  const store = new MemoryCacheStore(600);
  await store.set("k1", value("a"), FAR);
  await store.set("k2", value("b"), FAR);
  await store.set("k3", value("c"), FAR);
  expect(store.bytes).toBe(600);
  // Reading k1 makes k2 the least recently used.
  expect(await store.get("k1", 0)).toBe(value("a"));
  await store.set("k4", value("d"), FAR);
  expect(await store.get("k2", 0)).toBeUndefined();
  expect(await store.get("k1", 0)).toBe(value("a"));
  expect(await store.get("k3", 0)).toBe(value("c"));
  expect(await store.get("k4", 0)).toBe(value("d"));
  expect(store.bytes).toBe(600);
});

test("a value larger than the whole bound is not kept, and evicts nothing", async () => {
  const store = new MemoryCacheStore(600);
  await store.set("k1", value("a"), FAR);
  await store.set("big", "z".repeat(400), FAR);
  expect(await store.get("big", 0)).toBeUndefined();
  expect(await store.get("k1", 0)).toBe(value("a"));
  expect(store.size).toBe(1);
});

test("replacing an entry and expiring one give their bytes back", async () => {
  const store = new MemoryCacheStore(600);
  await store.set("k1", value("a"), 100);
  await store.set("k1", value("b"), 100);
  expect(store.bytes).toBe(200);
  expect(await store.get("k1", 100)).toBeUndefined();
  expect(store.bytes).toBe(0);
  await store.set("k2", value("c"), 50);
  await store.purge(50);
  expect(store.size).toBe(0);
  expect(store.bytes).toBe(0);
});
