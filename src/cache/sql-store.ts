import type { Sql } from "../store/sql.js";
import type { CacheStore } from "./cache-store.js";

/**
 * Answers in the gateway's own SQLite database (table `tollgate_cache`, see
 * store/migrations.ts). Expired rows are never read, and `purge` (run periodically by the
 * cache) deletes them.
 */
export class SqlCacheStore implements CacheStore {
  readonly kind = "sqlite";

  constructor(private readonly sql: () => Promise<Sql>) {}

  async get(key: string, now: number): Promise<string | undefined> {
    const [row] = await (await this.sql()).query<{ value: string }>("SELECT value FROM tollgate_cache WHERE key = $1 AND expires_at > $2", [key, now]);
    return row?.value;
  }

  async set(key: string, value: string, expiresAt: number, now: number): Promise<void> {
    await (await this.sql()).query(
      "INSERT INTO tollgate_cache (key, value, expires_at, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at",
      [key, value, expiresAt, now],
    );
  }

  async purge(now: number): Promise<void> {
    await (await this.sql()).query("DELETE FROM tollgate_cache WHERE expires_at <= $1", [now]);
  }

  /** The database belongs to the gateway, which closes it. */
  async close(): Promise<void> {}
}
