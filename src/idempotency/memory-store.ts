import { KeyEvents } from "./key-events.js";
import type { Claim, IdempotencyStore, KeyWatch, StoredReplay } from "./types.js";

interface Entry {
  fingerprint: string;
  owner?: string;
  leaseUntil: number;
  replay?: StoredReplay;
  expiresAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/** One instance's keys, in memory (tests, single-process development). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly kind = "memory";
  private readonly entries = new Map<string, Entry>();
  private readonly events = new KeyEvents();
  private sweptAt = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async begin(key: string, owner: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    const now = this.clock();
    this.sweep(now);
    const entry = this.entries.get(key);
    if (!entry || lapsed(entry, now)) {
      this.entries.set(key, { fingerprint, owner, leaseUntil: now + leaseMs, expiresAt: Infinity });
      return { state: "acquired" };
    }
    return entry.replay ? { state: "done", fingerprint: entry.fingerprint, replay: entry.replay } : { state: "running", fingerprint: entry.fingerprint };
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    const entry = this.held(key, owner);
    if (entry) entry.leaseUntil = this.clock() + leaseMs;
    return entry !== undefined;
  }

  async complete(key: string, owner: string, replay: StoredReplay, retentionMs: number): Promise<boolean> {
    const entry = this.held(key, owner);
    if (!entry) return false;
    this.entries.set(key, { fingerprint: entry.fingerprint, leaseUntil: 0, replay, expiresAt: this.clock() + retentionMs });
    this.events.notify(key);
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (!this.held(key, owner)) return;
    this.entries.delete(key);
    this.events.notify(key);
  }

  async watch(key: string): Promise<KeyWatch> {
    return this.events.watch(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private held(key: string, owner: string): Entry | undefined {
    const entry = this.entries.get(key);
    return entry && !entry.replay && entry.owner === owner && !lapsed(entry, this.clock()) ? entry : undefined;
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    for (const [key, entry] of this.entries) if (lapsed(entry, now)) this.entries.delete(key);
  }
}

/** A stored answer past its retention, or a run whose holder stopped renewing its lease. */
function lapsed(entry: Entry, now: number): boolean {
  return entry.replay ? entry.expiresAt <= now : entry.leaseUntil <= now;
}
