import { setTimeout as delay } from "node:timers/promises";
import { Redis, type RedisOptions } from "ioredis";
import { RedisScript } from "../budgets/redis-script.js";
import { KeyEvents } from "./key-events.js";
import { BEGIN_LUA, COMPLETE_LUA, RELEASE_LUA, RENEW_LUA } from "./redis-lua.js";
import type { Claim, IdempotencyStore, KeyWatch, StoredReplay } from "./types.js";

/**
 * Commands wait for a (re)connection only up to the command timeout: a request then fails
 * with 503 instead of hanging, and none is re-sent later (a lock taken minutes late would
 * hold the key for nobody until its lease lapsed).
 */
const REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false, commandTimeout: 5_000 };

/**
 * The subscriber only speeds waiters up (each also re-checks on its own): it waits for its
 * connection as long as it takes, and ioredis subscribes it again after every reconnect.
 */
const SUBSCRIBER_OPTIONS: RedisOptions = { maxRetriesPerRequest: null, autoResubscribe: true, commandTimeout: undefined };

/** A waiter waits at most this long for the subscription before relying on its re-checks alone. */
const SUBSCRIBE_WAIT_MS = 5_000;

const begin = new RedisScript(BEGIN_LUA);
const renew = new RedisScript(RENEW_LUA);
const complete = new RedisScript(COMPLETE_LUA);
const release = new RedisScript(RELEASE_LUA);

/**
 * Keys shared by every instance on one Redis. Completing or releasing a key publishes it
 * on one channel; each instance keeps one subscriber connection and wakes its own waiters.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly kind = "redis";
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private subscribed: Promise<void> | undefined;
  private readonly events = new KeyEvents();
  private readonly channel: string;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.client = new Redis(url, REDIS_OPTIONS);
    // Failures reach callers through rejected commands; without a listener ioredis prints each reconnect error.
    this.client.on("error", () => {});
    this.channel = `${prefix}:idem`;
  }

  async begin(key: string, owner: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    const [state, stored, replay] = (await begin.run(this.client, [this.key(key)], [owner, fingerprint, leaseMs])) as [string, string?, string?];
    if (state === "acquired") return { state };
    if (state === "done") return { state, fingerprint: stored!, replay: JSON.parse(replay!) as StoredReplay };
    return { state: "running", fingerprint: stored! };
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await renew.run(this.client, [this.key(key)], [owner, leaseMs])) === 1;
  }

  async complete(key: string, owner: string, replay: StoredReplay, retentionMs: number): Promise<boolean> {
    return (await complete.run(this.client, [this.key(key)], [owner, JSON.stringify(replay), retentionMs, this.channel, key])) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await release.run(this.client, [this.key(key)], [owner, this.channel, key]);
  }

  async watch(key: string): Promise<KeyWatch> {
    const watch = this.events.watch(key);
    this.subscribed ??= this.subscribe();
    await Promise.race([this.subscribed, delay(SUBSCRIBE_WAIT_MS, undefined, { ref: false })]);
    return watch;
  }

  async close(): Promise<void> {
    // quit() waits for a connection that may never come; a client not connected just drops.
    await Promise.all([this.client, this.subscriber].map((c) => (c?.status === "ready" ? c.quit().catch(() => c.disconnect()) : c?.disconnect())));
  }

  /** One subscriber connection for the instance, opened when the first duplicate waits; never rejects. */
  private async subscribe(): Promise<void> {
    const subscriber = (this.subscriber = this.client.duplicate(SUBSCRIBER_OPTIONS));
    subscriber.on("error", () => {});
    subscriber.on("message", (_channel: string, key: string) => this.events.notify(key));
    await subscriber.subscribe(this.channel).catch(() => {
      // Closed meanwhile; waiters re-check on their own.
    });
  }

  private key(key: string): string {
    return `${this.prefix}:idem:${key}`;
  }
}
