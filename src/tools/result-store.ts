import type { Sql } from "../store/sql.js";

export type Claim =
  /** This caller holds the key: run the call, then complete or release it. */
  | { kind: "run" }
  /** The call ran before (a retried request): its stored result. */
  | { kind: "done"; result: string }
  /** Another request is running the same call right now. */
  | { kind: "busy" };

const PURGE_EVERY_MS = 60_000;

/**
 * Results of executed tool calls by idempotency key (table tollgate_tool_results), so
 * that a retried request reuses a side effect's result instead of running it again. A
 * key is claimed (inserted as "running") before the call, atomically on both SQLite and
 * Postgres, so two concurrent requests cannot both run it; a claim older than its lease
 * (a crashed instance) may be taken over.
 */
export class ToolResultStore {
  private lastPurge = 0;

  constructor(
    private readonly sql: Sql,
    private readonly retentionMs: number,
  ) {}

  async claim(key: string, tool: string, leaseMs: number, now = Date.now()): Promise<Claim> {
    await this.purge(now);
    const inserted = await this.sql.query(
      "INSERT INTO tollgate_tool_results (idempotency_key, tool, state, result, claimed_at, expires_at) VALUES ($1, $2, 'running', NULL, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key",
      [key, tool, now, now + this.retentionMs],
    );
    if (inserted.length > 0) return { kind: "run" };
    const [row] = await this.sql.query<{ state: string; result: string | null; claimed_at: number; expires_at: number }>(
      "SELECT state, result, claimed_at, expires_at FROM tollgate_tool_results WHERE idempotency_key = $1",
      [key],
    );
    if (!row) return this.claim(key, tool, leaseMs, now);
    if (row.state === "done" && Number(row.expires_at) > now) return { kind: "done", result: row.result ?? "" };
    if (row.state === "running" && Number(row.claimed_at) + leaseMs > now) return { kind: "busy" };
    // Expired, or abandoned by a crashed instance: taken over by whoever updates it first.
    const taken = await this.sql.query(
      "UPDATE tollgate_tool_results SET state = 'running', result = NULL, claimed_at = $2, expires_at = $3 WHERE idempotency_key = $1 AND claimed_at = $4 RETURNING idempotency_key",
      [key, now, now + this.retentionMs, row.claimed_at],
    );
    return taken.length > 0 ? { kind: "run" } : { kind: "busy" };
  }

  async complete(key: string, result: string, now = Date.now()): Promise<void> {
    await this.sql.query("UPDATE tollgate_tool_results SET state = 'done', result = $2, expires_at = $3 WHERE idempotency_key = $1", [key, result, now + this.retentionMs]);
  }

  /** Gives a claim up after a failed call: a retried request may run it again. */
  async release(key: string): Promise<void> {
    await this.sql.query("DELETE FROM tollgate_tool_results WHERE idempotency_key = $1 AND state = 'running'", [key]);
  }

  private async purge(now: number): Promise<void> {
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    await this.sql.query("DELETE FROM tollgate_tool_results WHERE expires_at < $1", [now]);
  }
}
