import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { BUDGET_REDIS_OPTIONS } from "../redis-client.js";

/** The Redis every test shares (other files run against it in parallel). */
export const TEST_REDIS_PORT = 6379;

/** A prefix no other test file or run uses; every key a test writes sits under `{prefix...}`. */
export function uniquePrefix(file: string): string {
  return `tollgate-test:${file}:${randomUUID()}`;
}

/**
 * A fail-fast client like production's (connection errors surface through commands, not as
 * noise), but with a command timeout for a busy machine: hundreds of scripts queued on a
 * loaded Redis can take seconds, and these tests are about what the commands do, not how
 * fast. Tests of a timeout pass their own.
 */
export function testClient(options: RedisOptions = {}): Redis {
  const client = new Redis({ host: "127.0.0.1", port: TEST_REDIS_PORT, ...BUDGET_REDIS_OPTIONS, commandTimeout: 30_000, ...options });
  client.on("error", () => {});
  return client;
}

/** A connected test client that counts the commands it sends: `commands()` is the count so far. */
export async function countingClient(): Promise<{ client: Redis; commands: () => number }> {
  const client = await connected(testClient());
  let count = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args: Parameters<typeof send>) => {
    count++;
    return send(...args);
  };
  return { client, commands: () => count };
}

/** Resolves when the client is connected: fail-fast clients reject commands until then. */
export async function connected(client: Redis): Promise<Redis> {
  if (client.status !== "ready")
    await new Promise<void>((resolve, reject) => {
      client.once("ready", resolve);
      client.once("end", () => reject(new Error("Redis connection ended before it was ready")));
    });
  return client;
}

/** Every key of the `RedisBudgetStore`s whose prefix starts with `prefix` (SCAN: other files share this Redis). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `{${prefix}*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.unlink(...keys);
}
