import { Redis } from "ioredis";
import { BUDGET_REDIS_OPTIONS } from "../budgets/redis-client.js";
import type { CacheStore } from "./cache-store.js";

/**
 * Answers shared by every instance. Redis expires each key itself (PX); the value also
 * carries its expiry, so an entry read on the edge of it is judged by the cache's clock.
 * The client fails fast while disconnected: a lookup then is a miss, never a wait.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = "redis";
  private readonly client: Redis;
  private readonly owned: boolean;
  /** Settles once the client first connected, or gave up waiting: only the first calls wait, and at most this long. */
  private readonly firstConnection: Promise<void>;

  constructor(
    client: Redis | string,
    private readonly prefix: string,
    options: { commandTimeoutMs: number },
  ) {
    const timeoutMs = options.commandTimeoutMs;
    this.owned = typeof client === "string";
    if (typeof client === "string") {
      this.client = new Redis(client, { ...BUDGET_REDIS_OPTIONS, commandTimeout: timeoutMs });
      // Failures surface through commands (a miss); the connection error itself is noise.
      this.client.on("error", () => {});
    } else this.client = client;
    this.firstConnection = this.client.status === "ready" ? Promise.resolve() : firstReady(this.client, timeoutMs);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:cache:${key}`;
  }

  async get(key: string, now: number): Promise<string | undefined> {
    await this.firstConnection;
    const stored = await this.client.get(this.keyOf(key));
    if (stored === null) return undefined;
    const newline = stored.indexOf("\n");
    if (Number(stored.slice(0, newline)) <= now) return undefined;
    return stored.slice(newline + 1);
  }

  async set(key: string, value: string, expiresAt: number, now: number): Promise<void> {
    await this.firstConnection;
    await this.client.set(this.keyOf(key), `${expiresAt}\n${value}`, "PX", Math.max(1, expiresAt - now));
  }

  async purge(): Promise<void> {}

  async close(): Promise<void> {
    if (this.owned) this.client.disconnect();
  }
}

function firstReady(client: Redis, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    client.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
