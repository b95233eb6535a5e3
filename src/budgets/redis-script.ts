import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

/** At most this many operations per script: one long script keeps every other client of the server waiting. */
export const MAX_BATCH = 100;

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server does not know it
 * (first use, a restart, SCRIPT FLUSH, a failover to a replica): the body is sent only then.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(client: Redis | Cluster, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return await client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
