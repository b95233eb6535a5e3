import { expect, test } from "vitest";
import { hashKeySecret } from "./key-secret.js";
import type { KeyStore } from "./key-store.js";
import type { KeyRecord } from "./types.js";
import { VirtualKeys } from "./virtual-keys.js";

const SECRET = "tg_known-secret";
const key: KeyRecord = { id: "key_1", hash: hashKeySecret(SECRET), prefix: "tg_k…", userId: "alice", tags: {}, metadata: {}, limits: {}, createdAt: 0 };

/** A store that knows one key and counts its lookups. */
function keys(ttlMs = 5_000) {
  const store = {
    lookups: 0,
    findByHash: async (hash: string) => {
      store.lookups++;
      return hash === key.hash ? key : undefined;
    },
  };
  return { store, virtualKeys: new VirtualKeys(async () => store as unknown as KeyStore, ttlMs) };
}

test("cached gives what resolve gave while it is fresh, without a lookup, and nothing before or after", async () => {
  const { store, virtualKeys } = keys(1_000);
  expect(virtualKeys.cached(SECRET, 0)).toBeUndefined();
  expect(await virtualKeys.resolve(SECRET, 0)).toBe(key);
  expect(await virtualKeys.resolve("tg_unknown", 0)).toBeUndefined();
  expect(store.lookups).toBe(2);
  expect(virtualKeys.cached(SECRET, 999)?.key).toBe(key);
  // An unknown secret is known not to match: a hit without a key.
  expect(virtualKeys.cached("tg_unknown", 999)).toMatchObject({ key: undefined });
  expect(virtualKeys.cached(SECRET, 1_000)).toBeUndefined();
  expect(store.lookups).toBe(2);
});

test("a forgotten key is not cached any more", async () => {
  const { virtualKeys } = keys();
  await virtualKeys.resolve(SECRET, 0);
  virtualKeys.forget(key.id);
  expect(virtualKeys.cached(SECRET, 1)).toBeUndefined();
});
