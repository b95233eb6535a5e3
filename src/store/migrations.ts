import type { Sql } from "./sql.js";
import { latencyHistogramsMigration } from "./migrations/latency-histograms.js";
import { ledgerScaleMigration } from "./migrations/ledger-scale.js";
import { requestAttemptOutcomesMigration } from "./migrations/request-attempt-outcomes.js";
import type { Migration } from "./migration.js";

/** One schema change, in the SQL subset SQLite and Postgres both accept. Append only. */

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "keys",
    // Times are epoch ms; JSON columns hold text so both dialects read them the same way.
    sql: `
      CREATE TABLE tollgate_keys (
        id TEXT NOT NULL PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        name TEXT,
        user_id TEXT NOT NULL,
        team_id TEXT,
        allowed_models TEXT,
        tags TEXT NOT NULL DEFAULT '{}',
        metadata TEXT NOT NULL DEFAULT '{}',
        limits TEXT NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT
      );
      CREATE INDEX tollgate_keys_user ON tollgate_keys (user_id);
      CREATE INDEX tollgate_keys_team ON tollgate_keys (team_id);
    `,
  },
  {
    version: 2,
    name: "ledger",
    // seq is the ledger writer's insertion order (neither dialect's auto-increment fits both).
    sql: `
      CREATE TABLE tollgate_requests (
        id TEXT NOT NULL PRIMARY KEY,
        seq BIGINT NOT NULL,
        started_at BIGINT NOT NULL,
        key_id TEXT,
        user_id TEXT,
        team_id TEXT,
        end_user TEXT,
        tags TEXT NOT NULL DEFAULT '{}',
        route TEXT,
        api TEXT NOT NULL,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        error_code TEXT,
        provider TEXT,
        model TEXT,
        attempts INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_input_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        usage_source TEXT,
        cost_nanos BIGINT NOT NULL DEFAULT 0,
        saved_nanos BIGINT NOT NULL DEFAULT 0,
        cache_hit INTEGER NOT NULL DEFAULT 0,
        latency_ms INTEGER NOT NULL,
        ttft_ms INTEGER
      );
      -- One index on time: every usage query is a time range; grouping happens over it.
      -- (Each index is a B-tree insert per request on the ledger's hot path.)
      CREATE INDEX tollgate_requests_started ON tollgate_requests (started_at);

      CREATE TABLE tollgate_attempts (
        request_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        duration_ms INTEGER,
        ttft_ms INTEGER,
        status TEXT NOT NULL,
        error_code TEXT,
        upstream_status INTEGER,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_input_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        usage_source TEXT,
        cost_nanos BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (request_id, attempt)
      );

      CREATE TABLE tollgate_request_tags (
        request_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        cost_nanos BIGINT NOT NULL DEFAULT 0,
        saved_nanos BIGINT NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (request_id, name)
      );
      CREATE INDEX tollgate_request_tags_name ON tollgate_request_tags (name, started_at);
    `,
  },
  {
    version: 3,
    name: "response cache",
    // The SQLite cache store's answers (docs/caching.md), and which cache answered a request.
    sql: `
      CREATE TABLE tollgate_cache (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX tollgate_cache_expires ON tollgate_cache (expires_at);
      ALTER TABLE tollgate_requests ADD COLUMN cache_kind TEXT;
    `,
  },
  {
    version: 4,
    name: "idempotency",
    // One row per scoped key (a hash): a lease while the first request runs, then its answer
    // (JSON) until expires_at. Lapsed rows are deleted by the next request for the key or a sweep.
    sql: `
      CREATE TABLE tollgate_idempotency (
        scope_key TEXT NOT NULL PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        owner TEXT,
        lease_until BIGINT,
        completed_at BIGINT,
        expires_at BIGINT,
        replay TEXT
      );
      CREATE INDEX tollgate_idempotency_expires ON tollgate_idempotency (expires_at);
    `,
  },
  {
    version: 5,
    name: "tool_calls",
    sql: `
      CREATE TABLE tollgate_tool_calls (
        request_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT,
        reused INTEGER NOT NULL DEFAULT 0,
        started_at BIGINT NOT NULL,
        duration_ms INTEGER,
        PRIMARY KEY (request_id, step, position)
      );

      -- Executed calls' results by idempotency key: a retried request reuses them.
      CREATE TABLE tollgate_tool_results (
        idempotency_key TEXT NOT NULL PRIMARY KEY,
        tool TEXT NOT NULL,
        state TEXT NOT NULL,
        result TEXT,
        claimed_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX tollgate_tool_results_expires ON tollgate_tool_results (expires_at);
    `,
  },
  {
    version: 6,
    name: "attempt_steps",
    // Which model call of the request an attempt belongs to: a tool loop's or a repair's
    // later steps are steps, not retries (retries are attempts beyond the first per step and target).
    sql: `ALTER TABLE tollgate_attempts ADD COLUMN step INTEGER NOT NULL DEFAULT 1;`,
  },
  ledgerScaleMigration,
  {
    version: 8,
    name: "organisations",
    // Teams and users (JSON columns as text, like keys); the audit log, append-only and
    // hash-chained in seq order (docs/organisations.md); dashboard sessions by the SHA-256 of their cookie.
    sql: `
      CREATE TABLE tollgate_teams (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT,
        allowed_models TEXT,
        tags TEXT NOT NULL DEFAULT '{}',
        limits TEXT NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        disabled_at BIGINT
      );
      CREATE TABLE tollgate_users (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT,
        email TEXT,
        role TEXT NOT NULL,
        teams TEXT NOT NULL DEFAULT '[]',
        allowed_models TEXT,
        tags TEXT NOT NULL DEFAULT '{}',
        limits TEXT NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        disabled_at BIGINT
      );
      CREATE TABLE tollgate_audit (
        seq BIGINT NOT NULL PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        via TEXT NOT NULL,
        source TEXT,
        request_id TEXT NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        resource_id TEXT,
        status INTEGER NOT NULL,
        before_json TEXT,
        after_json TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX tollgate_audit_at ON tollgate_audit (at);
      CREATE TABLE tollgate_sessions (
        id_hash TEXT NOT NULL PRIMARY KEY,
        principal TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX tollgate_sessions_expires ON tollgate_sessions (expires_at);
    `,
  },
  {
    version: 11,
    name: "key_allowed_origins",
    // The browser origins (CORS) a key may be used from, as a JSON array; NULL: the gateway's own list only.
    sql: "ALTER TABLE tollgate_keys ADD COLUMN allowed_origins TEXT;",
  },
  latencyHistogramsMigration,
  requestAttemptOutcomesMigration,
];

/**
 * Applies the migrations not yet recorded, all in one transaction. Instances starting
 * together queue up: SQLite's write lock (BEGIN IMMEDIATE) or, on Postgres, an advisory
 * lock per schema, taken before anything else so that even the bookkeeping table is
 * created once. Returns the versions this call applied.
 */
export async function migrate(sql: Sql, list: readonly Migration[] = migrations): Promise<number[]> {
  return sql.transaction(async (tx) => {
    if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(hashtext('tollgate_migrations:' || COALESCE(current_schema(), '')))");
    await tx.exec("CREATE TABLE IF NOT EXISTS tollgate_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    const done = new Set((await tx.query<{ version: number }>("SELECT version FROM tollgate_migrations")).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of [...list].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await tx.exec(tx.dialect === "postgres" ? (migration.postgres ?? migration.sql) : migration.sql);
      await tx.query("INSERT INTO tollgate_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [migration.version, migration.name, Date.now()]);
      applied.push(migration.version);
    }
    return applied;
  });
}
