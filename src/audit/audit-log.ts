import { createHash } from "node:crypto";
import { stableJson } from "../json/stable-json.js";
import type { Redactor } from "../errors/redact.js";
import type { Sql } from "../store/sql.js";
import { auditValue } from "./audit-value.js";

/** The hash the first entry chains to. */
export const GENESIS_HASH = "0".repeat(64);

/** One admin action, as a handler or the admin router reports it. */
export interface AuditAction {
  actor: string;
  actorRole: string;
  via: string;
  /** The caller's address as the gateway saw it. */
  source?: string;
  requestId: string;
  /** "keys.create", "teams.update", "session.create", ... */
  action: string;
  /** "keys", "teams", "users", ... (the admin path's first segment). */
  resource: string;
  resourceId?: string;
  /** The answer's status: 2xx done, 403 refused. */
  status: number;
  before?: unknown;
  after?: unknown;
  /** Epoch ms; default now. */
  at?: number;
}

/** A stored entry, as GET /admin/audit and the export show it. */
export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  actor_role: string;
  via: string;
  source: string | null;
  request_id: string;
  action: string;
  resource: string;
  resource_id: string | null;
  status: number;
  /** JSON text of the record before and after (secrets removed), or null. */
  before_json: string | null;
  after_json: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  resource?: string;
  resourceId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Entries with seq below this (paging newest first). */
  beforeSeq?: number;
  /** Entries with seq above this (paging oldest first, the export). */
  afterSeq?: number;
}

export type AuditVerdict = { ok: true; entries: number; head: { seq: number; hash: string } | null } | { ok: false; entries: number; seq: number; reason: string };

const COLUMNS = "seq, at, actor, actor_role, via, source, request_id, action, resource, resource_id, status, before_json, after_json, prev_hash, hash";
const PAGE = 1000;

/** sha256(previous hash + "\n" + the entry's fields as sorted JSON), hex. */
function entryHash(entry: Omit<AuditEntry, "hash">): string {
  const { prev_hash: prev, ...fields } = entry;
  return createHash("sha256")
    .update(`${prev}\n${stableJson(fields)}`)
    .digest("hex");
}

function fromRow(row: AuditEntry): AuditEntry {
  return { ...row, seq: Number(row.seq), at: Number(row.at), status: Number(row.status) };
}

/**
 * The append-only audit log of admin actions. Each entry carries the hash of the one
 * before it, so changing, removing or reordering any entry breaks the chain from there
 * (`tollgate audit verify`). Appends are serialised: in this process by a promise chain,
 * across instances by the database (SQLite's write lock, a Postgres advisory lock).
 */
export class AuditLog {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: () => Promise<Sql>,
    private readonly redactor: Redactor,
  ) {}

  /** Appends one entry; resolves once it is stored. */
  record(action: AuditAction): Promise<AuditEntry> {
    const appended = this.tail.then(() => this.append(action));
    this.tail = appended.catch(() => {});
    return appended;
  }

  private async append(action: AuditAction): Promise<AuditEntry> {
    const sql = await this.store();
    return sql.transaction(async (tx) => {
      if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(hashtext('tollgate_audit:' || COALESCE(current_schema(), '')))");
      const [last] = await tx.query<{ seq: number | string; hash: string }>("SELECT seq, hash FROM tollgate_audit ORDER BY seq DESC LIMIT 1");
      const unhashed: Omit<AuditEntry, "hash"> = {
        seq: last ? Number(last.seq) + 1 : 1,
        at: action.at ?? Date.now(),
        actor: action.actor,
        actor_role: action.actorRole,
        via: action.via,
        source: action.source ?? null,
        request_id: action.requestId,
        action: action.action,
        resource: action.resource,
        resource_id: action.resourceId ?? null,
        status: action.status,
        before_json: auditValue(action.before, this.redactor),
        after_json: auditValue(action.after, this.redactor),
        prev_hash: last?.hash ?? GENESIS_HASH,
      };
      const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) };
      await tx.query(`INSERT INTO tollgate_audit (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, [
        entry.seq,
        entry.at,
        entry.actor,
        entry.actor_role,
        entry.via,
        entry.source,
        entry.request_id,
        entry.action,
        entry.resource,
        entry.resource_id,
        entry.status,
        entry.before_json,
        entry.after_json,
        entry.prev_hash,
        entry.hash,
      ]);
      return entry;
    });
  }

  /** Entries matching `filter`, newest first (oldest first with `ascending`), at most `limit`. */
  async list(filter: AuditFilter, limit: number, ascending = false): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const eq = (column: string, value: unknown) => where.push(`${column} = $${params.push(value)}`);
    if (filter.actor !== undefined) eq("actor", filter.actor);
    if (filter.action !== undefined) eq("action", filter.action);
    if (filter.resource !== undefined) eq("resource", filter.resource);
    if (filter.resourceId !== undefined) eq("resource_id", filter.resourceId);
    if (filter.from !== undefined) where.push(`at >= $${params.push(filter.from)}`);
    if (filter.to !== undefined) where.push(`at < $${params.push(filter.to)}`);
    if (filter.beforeSeq !== undefined) where.push(`seq < $${params.push(filter.beforeSeq)}`);
    if (filter.afterSeq !== undefined) where.push(`seq > $${params.push(filter.afterSeq)}`);
    const rows = await (await this.store()).query<AuditEntry>(
      `SELECT ${COLUMNS} FROM tollgate_audit${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY seq ${ascending ? "ASC" : "DESC"} LIMIT $${params.push(Math.trunc(limit))}`,
      params,
    );
    return rows.map(fromRow);
  }

  /**
   * Walks the whole chain in order: seq must run 1, 2, 3... without a gap, each entry must
   * name its predecessor's hash, and its own hash must match its fields.
   */
  async verify(): Promise<AuditVerdict> {
    let expectedSeq = 1;
    let prev = GENESIS_HASH;
    let head: { seq: number; hash: string } | null = null;
    for (;;) {
      const page = await this.list({ afterSeq: expectedSeq - 1 }, PAGE, true);
      for (const entry of page) {
        const entries = expectedSeq - 1;
        if (entry.seq !== expectedSeq) return { ok: false, entries, seq: expectedSeq, reason: `entry ${expectedSeq} is missing (next is ${entry.seq})` };
        if (entry.prev_hash !== prev) return { ok: false, entries, seq: entry.seq, reason: `entry ${entry.seq} does not chain to entry ${entry.seq - 1}` };
        const { hash, ...rest } = entry;
        if (entryHash(rest) !== hash) return { ok: false, entries, seq: entry.seq, reason: `entry ${entry.seq} was changed after it was written` };
        prev = hash;
        head = { seq: entry.seq, hash };
        expectedSeq += 1;
      }
      if (page.length < PAGE) return { ok: true, entries: expectedSeq - 1, head };
    }
  }
}
