import { z } from "zod";
import type { AuditEntry, AuditFilter } from "../audit/audit-log.js";
import { iso, parseInstant } from "./time.js";
import type { AdminHandler } from "./types.js";
import { parseWith } from "./validate.js";

const MAX_LIMIT = 500;
/** One export holds at most this many entries; `after_seq` continues it. */
const MAX_EXPORT = 10_000;
const EXPORT_PAGE = 1_000;

const filterFields = {
  actor: z.string().min(1).max(300).optional(),
  action: z.string().min(1).max(100).optional(),
  resource: z.string().min(1).max(100).optional(),
  resource_id: z.string().min(1).max(300).optional(),
  from: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
};

const listQuery = z.strictObject({ ...filterFields, limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100), before_seq: z.coerce.number().int().positive().optional() });
const exportQuery = z.strictObject({ ...filterFields, after_seq: z.coerce.number().int().nonnegative().optional() });

function filterOf(q: z.output<typeof listQuery> | z.output<typeof exportQuery>): AuditFilter {
  const f: AuditFilter = {};
  if (q.actor !== undefined) f.actor = q.actor;
  if (q.action !== undefined) f.action = q.action;
  if (q.resource !== undefined) f.resource = q.resource;
  if (q.resource_id !== undefined) f.resourceId = q.resource_id;
  if (q.from !== undefined) f.from = parseInstant(q.from, "from");
  if (q.to !== undefined) f.to = parseInstant(q.to, "to");
  return f;
}

const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** An entry as the API shows it: before/after as JSON, with the chain fields to check it by. */
function entryView(e: AuditEntry) {
  return {
    object: "audit_entry",
    seq: e.seq,
    at: iso(e.at),
    actor: e.actor,
    actor_role: e.actor_role,
    via: e.via,
    source: e.source,
    request_id: e.request_id,
    action: e.action,
    resource: e.resource,
    resource_id: e.resource_id,
    status: e.status,
    before: parsed(e.before_json),
    after: parsed(e.after_json),
    prev_hash: e.prev_hash,
    hash: e.hash,
  };
}

/** GET /admin/audit?actor=&action=&resource=&resource_id=&from=&to=&limit=&before_seq=: newest first; `next_before_seq` pages on. */
export const listAudit: AdminHandler = async ({ query, services }) => {
  const q = parseWith(listQuery, query, "query");
  const filter = filterOf(q);
  if (q.before_seq !== undefined) filter.beforeSeq = q.before_seq;
  const entries = await services.audit.list(filter, q.limit);
  const last = entries.at(-1);
  return { status: 200, body: { object: "list", data: entries.map(entryView), next_before_seq: entries.length === q.limit && last ? last.seq : null } };
};

/**
 * GET /admin/audit/export: the matching entries oldest first as JSON lines, stored fields
 * as they are (before_json/after_json text), so each line's hash can be recomputed.
 */
export const exportAudit: AdminHandler = async ({ query, services }) => {
  const q = parseWith(exportQuery, query, "query");
  const filter = filterOf(q);
  let after = q.after_seq ?? 0;
  const lines: string[] = [];
  while (lines.length < MAX_EXPORT) {
    const page = await services.audit.list({ ...filter, afterSeq: after }, Math.min(EXPORT_PAGE, MAX_EXPORT - lines.length), true);
    for (const e of page) lines.push(JSON.stringify(e));
    if (page.length < EXPORT_PAGE) break;
    after = page.at(-1)!.seq;
  }
  return { status: 200, body: lines.length ? `${lines.join("\n")}\n` : "", contentType: "application/x-ndjson" };
};
