import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

export const TEST_REDIS_URL = "redis://127.0.0.1:6379";

/** A key prefix no other test file or run uses (redis.keyPrefix allows [A-Za-z0-9:_-]). */
export function idempotencyTestPrefix(file: string): string {
  return `tollgate-test:${file.replace(/[^A-Za-z0-9_-]/g, "_")}:${randomUUID()}`;
}

/** Removes every key under `prefix` (SCAN: other files share this Redis). */
export async function deleteUnder(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}
