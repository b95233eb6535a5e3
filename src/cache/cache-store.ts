/**
 * Where cached answers live: an opaque text value per key with an expiry (epoch ms on the
 * cache's clock). `now` comes from that clock too, so an entry is expired exactly when the
 * cache says so, whatever the store's own expiry does.
 */
export interface CacheStore {
  readonly kind: "memory" | "sqlite" | "redis";
  /** The value stored under `key`, unless it expired at or before `now`. */
  get(key: string, now: number): Promise<string | undefined>;
  /** Stores (or replaces) `value` under `key` until `expiresAt`. */
  set(key: string, value: string, expiresAt: number, now: number): Promise<void>;
  /** Deletes what expired at or before `now` (stores that expire on their own do nothing). */
  purge(now: number): Promise<void>;
  close(): Promise<void>;
}
