import { randomUUID } from "node:crypto";
import type { Sql } from "../store/sql.js";
import type { Alert, ResolvedWebhook } from "./types.js";

/** A claimed delivery is another instance's to retry only after this long (a crash mid-send). */
const CLAIM_MS = 60_000;
const BACKOFF_MIN_MS = 5_000;
const BACKOFF_MAX_MS = 3_600_000;

export interface OutboxRow {
  id: string;
  rule_id: string;
  kind: string;
  subject: string;
  window_start: number;
  webhook: string;
  payload: string;
  created_at: number;
  state: "pending" | "sent" | "failed";
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  sent_at: number | null;
}

/** Delay before retry number `attempts` (1-based): doubling from 5 s, at most an hour. */
const backoffMs = (attempts: number) => Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempts - 1));

/**
 * Records an alert for each webhook, unless that rule, subject and window already has
 * one: the unique dedupe key makes an alert once across instances and restarts.
 * Returns how many deliveries were new.
 */
export async function enqueue(sql: Sql, alert: Alert, webhooks: readonly ResolvedWebhook[], now: number): Promise<number> {
  let added = 0;
  for (const webhook of webhooks) {
    const id = `alr_${randomUUID().replaceAll("-", "")}`;
    const dedupe = JSON.stringify([alert.ruleId, alert.subject, alert.windowStart, webhook.name]);
    const rows = await sql.query(
      `INSERT INTO tollgate_alert_outbox (id, dedupe_key, rule_id, kind, subject, window_start, webhook, payload, created_at, state, attempts, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $9) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
      [id, dedupe, alert.ruleId, alert.kind, alert.subject, alert.windowStart, webhook.name, JSON.stringify(alert), now],
    );
    added += rows.length;
  }
  return added;
}

/**
 * Takes up to `limit` deliveries that are due, for this instance alone: claimed until
 * CLAIM_MS from now (PostgreSQL skips rows another instance is claiming at that moment).
 */
export async function claimDue(sql: Sql, now: number, limit: number): Promise<OutboxRow[]> {
  const due = `SELECT id FROM tollgate_alert_outbox WHERE state = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY next_attempt_at LIMIT ${Math.trunc(limit)}`;
  return sql.query<OutboxRow>(
    `UPDATE tollgate_alert_outbox SET claimed_until = $2 WHERE id IN (${due}${sql.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : ""})
     RETURNING id, rule_id, kind, subject, window_start, webhook, payload, created_at, state, attempts, next_attempt_at, last_error, sent_at`,
    [now, now + CLAIM_MS],
  );
}

export async function markSent(sql: Sql, id: string, now: number): Promise<void> {
  await sql.query("UPDATE tollgate_alert_outbox SET state = 'sent', sent_at = $2, attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE id = $1", [id, now]);
}

/** A failed attempt: retried after the backoff, or given up after `maxAttempts`. */
export async function markFailed(sql: Sql, row: OutboxRow, error: string, now: number, maxAttempts: number): Promise<void> {
  const attempts = row.attempts + 1;
  const state = attempts >= maxAttempts ? "failed" : "pending";
  await sql.query("UPDATE tollgate_alert_outbox SET state = $2, attempts = $3, next_attempt_at = $4, claimed_until = NULL, last_error = $5 WHERE id = $1", [
    row.id,
    state,
    attempts,
    now + backoffMs(attempts),
    error.slice(0, 500),
  ]);
}

/** The newest deliveries first, for the admin API and the dashboard. */
export async function recentAlerts(sql: Sql, limit: number): Promise<OutboxRow[]> {
  return sql.query<OutboxRow>(
    `SELECT id, rule_id, kind, subject, window_start, webhook, payload, created_at, state, attempts, next_attempt_at, last_error, sent_at FROM tollgate_alert_outbox ORDER BY created_at DESC, id LIMIT ${Math.trunc(limit)}`,
  );
}
