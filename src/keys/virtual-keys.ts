import { timingSafeEqual } from "node:crypto";
import type { KeyStore } from "./key-store.js";
import { hashKeySecret } from "./key-secret.js";
import type { KeyRecord } from "./types.js";

const MAX_CACHED = 10_000;

/**
 * Looks up virtual keys by the hash of the presented secret, with a short cache so the
 * hot path rarely touches the database. A revocation on another instance takes effect
 * within `ttlMs`; on this one, at once.
 */
export class VirtualKeys {
  private readonly cache = new Map<string, { key: KeyRecord | undefined; at: number }>();

  constructor(
    private readonly store: () => Promise<KeyStore>,
    private readonly ttlMs = 5_000,
  ) {}

  /**
   * What `resolve` would give when the cache holds it fresh (nearly every request), without a
   * promise to wait for: `{ key }`, where `key` is undefined for a secret known not to match.
   * Undefined when it must be looked up.
   */
  cached(secret: string, now = Date.now()): { readonly key: KeyRecord | undefined } | undefined {
    return this.fresh(hashKeySecret(secret), now);
  }

  async resolve(secret: string, now = Date.now()): Promise<KeyRecord | undefined> {
    const hash = hashKeySecret(secret);
    const cached = this.fresh(hash, now);
    if (cached) return cached.key;
    // Unknown secrets are cached too, so guessing does not become a database load test.
    const key = matches(await (await this.store()).findByHash(hash), hash);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hash, { key, at: now });
    return key;
  }

  private fresh(hash: string, now: number): { key: KeyRecord | undefined } | undefined {
    const cached = this.cache.get(hash);
    // An entry holds the key only once it matched its hash (below): a hit needs no second check.
    return cached && now - cached.at < this.ttlMs ? cached : undefined;
  }

  /** Drops a key from the cache (after revoking or editing it here). */
  forget(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.key?.id === keyId) this.cache.delete(hash);
  }
}

/** The database matched by hash; comparing again in constant time keeps the check explicit. */
function matches(key: KeyRecord | undefined, hash: string): KeyRecord | undefined {
  if (!key) return undefined;
  const a = Buffer.from(key.hash, "hex");
  const b = Buffer.from(hash, "hex");
  return a.length === b.length && timingSafeEqual(a, b) ? key : undefined;
}
