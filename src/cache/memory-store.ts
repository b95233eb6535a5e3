import type { CacheStore } from "./cache-store.js";

interface Slot {
  value: string;
  expiresAt: number;
  bytes: number;
}

/** JavaScript strings are UTF-16: what a key and value hold in memory, roughly. */
const sizeOf = (key: string, value: string) => 2 * (key.length + value.length);

/**
 * One instance's cache: a least-recently-used map bounded by the bytes it holds. A Map
 * keeps insertion order, so a read moves its entry to the end and eviction takes from the front.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = "memory";
  private readonly slots = new Map<string, Slot>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held now (for tests and metrics). */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.slots.size;
  }

  async get(key: string, now: number): Promise<string | undefined> {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    this.slots.delete(key);
    if (slot.expiresAt <= now) {
      this.used -= slot.bytes;
      return undefined;
    }
    this.slots.set(key, slot);
    return slot.value;
  }

  async set(key: string, value: string, expiresAt: number): Promise<void> {
    this.remove(key);
    const bytes = sizeOf(key, value);
    if (bytes > this.maxBytes) return;
    for (const [oldest, slot] of this.slots) {
      if (this.used + bytes <= this.maxBytes) break;
      this.slots.delete(oldest);
      this.used -= slot.bytes;
    }
    this.slots.set(key, { value, expiresAt, bytes });
    this.used += bytes;
  }

  async purge(now: number): Promise<void> {
    for (const [key, slot] of this.slots) if (slot.expiresAt <= now) this.remove(key);
  }

  async close(): Promise<void> {
    this.slots.clear();
    this.used = 0;
  }

  private remove(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    this.used -= slot.bytes;
  }
}
