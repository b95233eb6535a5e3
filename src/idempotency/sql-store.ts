import type { Sql } from "../store/sql.js";
import { KeyEvents } from "./key-events.js";
import type { Claim, IdempotencyStore, KeyWatch, StoredReplay } from "./types.js";

const TABLE = "tollgate_idempotency";
/** A stored answer past its retention, or a run whose holder stopped renewing its lease; `now` is parameter $n. */
const lapsed = (n: number) => `((completed_at IS NULL AND lease_until <= $${n}) OR (completed_at IS NOT NULL AND expires_at <= $${n}))`;
const SWEEP_EVERY_MS = 60_000;

interface Row {
  fingerprint: string;
  owner: string | null;
  completed_at: number | null;
  replay: string | null;
}

/**
 * Keys in the gateway's database (SQLite embedded, or Postgres shared by instances). Taking
 * a key is one insert-if-absent; waiters in this process wake on a promise, and waiters on
 * other instances see a change at their bounded re-check (SQL has no notifications here).
 */
export class SqlIdempotencyStore implements IdempotencyStore {
  readonly kind = "sql";
  private readonly events = new KeyEvents();
  private sweptAt = 0;

  constructor(
    private readonly sql: () => Promise<Sql>,
    private readonly clock: () => number = Date.now,
  ) {}

  async begin(key: string, owner: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    const sql = await this.sql();
    const now = this.clock();
    await this.sweep(sql, now);
    await sql.query(`DELETE FROM ${TABLE} WHERE scope_key = $1 AND ${lapsed(2)}`, [key, now]);
    await sql.query(`INSERT INTO ${TABLE} (scope_key, fingerprint, owner, lease_until) VALUES ($1, $2, $3, $4) ON CONFLICT (scope_key) DO NOTHING`, [key, fingerprint, owner, now + leaseMs]);
    const [row] = await sql.query<Row>(`SELECT fingerprint, owner, completed_at, replay FROM ${TABLE} WHERE scope_key = $1`, [key]);
    // Completed and lapsed between the statements: look again.
    if (!row) return this.begin(key, owner, fingerprint, leaseMs);
    if (row.completed_at !== null) return { state: "done", fingerprint: row.fingerprint, replay: JSON.parse(row.replay!) as StoredReplay };
    return row.owner === owner ? { state: "acquired" } : { state: "running", fingerprint: row.fingerprint };
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    const sql = await this.sql();
    const rows = await sql.query(`UPDATE ${TABLE} SET lease_until = $3 WHERE scope_key = $1 AND owner = $2 AND completed_at IS NULL RETURNING scope_key`, [key, owner, this.clock() + leaseMs]);
    return rows.length > 0;
  }

  async complete(key: string, owner: string, replay: StoredReplay, retentionMs: number): Promise<boolean> {
    const sql = await this.sql();
    const now = this.clock();
    const rows = await sql.query(
      `UPDATE ${TABLE} SET owner = NULL, lease_until = NULL, completed_at = $3, expires_at = $4, replay = $5 WHERE scope_key = $1 AND owner = $2 AND completed_at IS NULL RETURNING scope_key`,
      [key, owner, now, now + retentionMs, JSON.stringify(replay)],
    );
    this.events.notify(key);
    return rows.length > 0;
  }

  async release(key: string, owner: string): Promise<void> {
    const sql = await this.sql();
    await sql.query(`DELETE FROM ${TABLE} WHERE scope_key = $1 AND owner = $2 AND completed_at IS NULL`, [key, owner]);
    this.events.notify(key);
  }

  async watch(key: string): Promise<KeyWatch> {
    return this.events.watch(key);
  }

  /** The database belongs to the gateway, which closes it. */
  async close(): Promise<void> {}

  /** Keys nobody asks for again would stay forever: at most once a minute, lapsed rows go. */
  private async sweep(sql: Sql, now: number): Promise<void> {
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    await sql.query(`DELETE FROM ${TABLE} WHERE ${lapsed(1)}`, [now]);
  }
}
