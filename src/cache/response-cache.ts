import type { RecordedAnswer } from "../engine/answer-recorder.js";
import type { CacheStore } from "./cache-store.js";
import type { CacheScope } from "./tenant.js";
import type { VectorIndex, VectorMatch } from "./vector-index.js";

/** One cached answer, as stored (JSON). */
export interface CacheEntry {
  answer: RecordedAnswer;
  /** What producing it cost, in nano-dollars: what each hit saves. */
  costNanos: number;
  /** Epoch ms on the cache's clock. */
  createdAt: number;
}

export interface CacheHit {
  entry: CacheEntry;
  ageMs: number;
}

export interface ResponseCacheOptions {
  scope: CacheScope;
  maxEntryBytes: number;
  storeTimeoutMs: number;
  purgeIntervalMs: number;
  /** Epoch ms; tests inject one to expire entries without waiting. */
  clock?: () => number;
  log: (message: string) => void;
}

class StoreTimeoutError extends Error {}

/** A failing store is reported at most this often per operation (with how many failures went unreported). */
const LOG_EVERY_MS = 30_000;

/** Rejects when `promise` takes longer than `ms`: a slow store must not hold the request. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The gateway's answer cache: a store of entries by key and, for the semantic cache, a
 * vector index pointing at them. Every operation is bounded by `storeTimeoutMs` and never
 * throws: a store that fails or hangs makes a lookup a miss and a write a log line.
 */
export class ResponseCache {
  readonly scope: CacheScope;
  readonly now: () => number;
  readonly log: (message: string) => void;
  private readonly purgeTimer: NodeJS.Timeout;
  private readonly failures = new Map<string, { loggedAt: number; unreported: number }>();

  constructor(
    readonly store: CacheStore,
    private readonly vectors: VectorIndex | undefined,
    private readonly options: ResponseCacheOptions,
  ) {
    this.scope = options.scope;
    this.now = options.clock ?? Date.now;
    this.log = options.log;
    this.purgeTimer = setInterval(() => void this.purge(), options.purgeIntervalMs).unref();
  }

  /** The entry under `key`, unless it is missing, expired, older than `maxAgeMs`, or the store failed. */
  async get(key: string, maxAgeMs = Infinity): Promise<CacheHit | undefined> {
    const now = this.now();
    const text = await this.guard("lookup", () => this.store.get(key, now));
    if (text === undefined) return undefined;
    let entry: CacheEntry;
    try {
      entry = JSON.parse(text) as CacheEntry;
    } catch {
      this.log(`cache: entry ${key.slice(0, 12)} is not JSON; ignored`);
      return undefined;
    }
    const ageMs = Math.max(0, now - entry.createdAt);
    return ageMs <= maxAgeMs ? { entry, ageMs } : undefined;
  }

  /** Stores `entry` for `ttlMs`; returns whether it was stored (too large, or a failed store, is not). */
  async put(key: string, entry: CacheEntry, ttlMs: number): Promise<boolean> {
    const text = JSON.stringify(entry);
    if (Buffer.byteLength(text) > this.options.maxEntryBytes) return false;
    const result = await this.guard("write", () => this.store.set(key, text, entry.createdAt + ttlMs, this.now()).then(() => true));
    return result === true;
  }

  /** The nearest vector of `partition` at or above `threshold`, if the index answers. */
  async nearest(partition: string, vector: readonly number[], threshold: number): Promise<VectorMatch | undefined> {
    if (!this.vectors) return undefined;
    const vectors = this.vectors;
    return this.guard("vector search", () => vectors.nearest(partition, vector, threshold, this.now()));
  }

  async index(partition: string, vector: readonly number[], key: string, expiresAt: number): Promise<void> {
    if (!this.vectors) return;
    const vectors = this.vectors;
    await this.guard("vector index", () => vectors.add(partition, vector, key, expiresAt));
  }

  /** Deletes expired entries and vectors (also run every `purgeIntervalMs`). */
  async purge(): Promise<void> {
    const now = this.now();
    await this.guard("purge", () => this.store.purge(now));
    if (this.vectors) await this.guard("vector purge", () => this.vectors!.purge(now));
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.store.close().catch(() => {});
    await this.vectors?.close().catch(() => {});
  }

  private async guard<T>(what: string, op: () => Promise<T>): Promise<T | undefined> {
    try {
      return await within(op(), this.options.storeTimeoutMs);
    } catch (err) {
      this.reportFailure(what, err);
      return undefined;
    }
  }

  private reportFailure(what: string, err: unknown): void {
    const at = performance.now();
    const last = this.failures.get(what);
    if (last && at - last.loggedAt < LOG_EVERY_MS) {
      last.unreported++;
      return;
    }
    const more = last?.unreported ? ` (${last.unreported} more since the last report)` : "";
    this.failures.set(what, { loggedAt: at, unreported: 0 });
    this.log(`cache ${what} failed (${this.store.kind}): ${(err as Error).message}${more}`);
  }
}
