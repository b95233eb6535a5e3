import type { Sql } from "../store/sql.js";

/**
 * PostgreSQL's day partitions of the ledger tables (migration 7): made ahead of the
 * clock, dropped whole when past retention, and filled from the pre-partition tables.
 */

export const DAY_MS = 86_400_000;

/** The partitioned tables and, beside each, the table of the same rows from before migration 7. */
const PARTITIONED = [
  { parent: "tollgate_requests_p", legacy: "tollgate_requests", requestId: "id" },
  { parent: "tollgate_attempts_p", legacy: "tollgate_attempts", requestId: "request_id" },
  { parent: "tollgate_request_tags_p", legacy: "tollgate_request_tags", requestId: "request_id" },
  { parent: "tollgate_tool_calls_p", legacy: "tollgate_tool_calls", requestId: "request_id" },
] as const;

type Parent = (typeof PARTITIONED)[number]["parent"];

export const dayStart = (ms: number) => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);

/** `tollgate_requests_p_20261205`: the day is in the name, so dropping needs no parsing of bounds. */
function partitionName(parent: Parent, day: number): string {
  return `${parent}_${new Date(day).toISOString().slice(0, 10).replaceAll("-", "")}`;
}

function dayOfPartition(parent: string, name: string): number | undefined {
  const match = new RegExp(`^${parent}_(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : undefined;
}

/** The days that have a partition, per table. */
export async function partitionDays(sql: Sql, parent: string): Promise<number[]> {
  const rows = await sql.query<{ name: string }>("SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)", [parent]);
  return rows.flatMap((r) => dayOfPartition(parent, r.name) ?? []).sort((a, b) => a - b);
}

/**
 * Gives `day` its own partition in every ledger table, if it has none. Rows of that day
 * already in the default partition are moved into it first: PostgreSQL refuses a new
 * partition whose range the default partition holds rows of. Writes to the table wait
 * meanwhile (reads do not).
 */
export async function ensureDayPartition(sql: Sql, day: number): Promise<boolean> {
  let created = false;
  for (const { parent } of PARTITIONED) {
    const name = partitionName(parent, day);
    created =
      (await sql.transaction(async (tx) => {
        // Lock first, then look: two instances making the same day queue instead of colliding.
        await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [name]);
        const [exists] = await tx.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [name]);
        if (exists?.found) return false;
        const range = `started_at >= ${day} AND started_at < ${day + DAY_MS}`;
        // Writes to the table wait until the partition is attached, then route to it: one let
        // through would either leave a row in the default partition that the attach then
        // refuses, or be routed to the default one and refused by its new bound.
        await tx.exec(`
          LOCK TABLE ${parent} IN SHARE ROW EXCLUSIVE MODE;
          CREATE TABLE ${name} (LIKE ${parent} INCLUDING DEFAULTS);
          WITH moved AS (DELETE FROM ${parent}_default WHERE ${range} RETURNING *) INSERT INTO ${name} SELECT * FROM moved;
          ALTER TABLE ${name} ADD CONSTRAINT ${name}_range CHECK (${range});
          ALTER TABLE ${parent} ATTACH PARTITION ${name} FOR VALUES FROM (${day}) TO (${day + DAY_MS});
          ALTER TABLE ${name} DROP CONSTRAINT ${name}_range;`);
        return true;
      })) || created;
  }
  return created;
}

/** Drops every day partition that ends at or before `cutoff`: whole days go at once. Returns the days dropped. */
export async function dropPartitionsBefore(sql: Sql, cutoff: number): Promise<number[]> {
  const dropped = new Set<number>();
  for (const { parent } of PARTITIONED) {
    for (const day of await partitionDays(sql, parent)) {
      if (day + DAY_MS > cutoff) continue;
      await sql.transaction(async (tx) => {
        // Waiting behind a long report would stall every insert queued behind this lock: give up and retry later.
        await tx.exec("SET LOCAL lock_timeout = '2s'");
        await tx.exec(`DROP TABLE IF EXISTS ${partitionName(parent, day)}`);
      });
      dropped.add(day);
    }
  }
  return [...dropped].sort((a, b) => a - b);
}

/**
 * Moves up to `limit` requests (oldest first) and their attempts, tags and tool calls
 * from the tables of before migration 7 into the partitions, in one transaction: the
 * views never show a row twice or miss it. The rollup triggers count them as they land.
 * Returns how many requests moved; 0 when the old tables are empty.
 */
export async function moveLegacyRows(sql: Sql, limit: number): Promise<number> {
  const batch = await sql.query<{ id: string; started_at: number }>("SELECT id, started_at FROM tollgate_requests ORDER BY started_at LIMIT $1", [limit]);
  if (batch.length === 0) return moveOrphans(sql, limit);
  for (const day of new Set(batch.map((r) => dayStart(r.started_at)))) await ensureDayPartition(sql, day);
  const ids = batch.map((r) => r.id);
  await sql.transaction(async (tx) => {
    for (const { parent, legacy, requestId } of PARTITIONED) {
      await tx.query(`WITH moved AS (DELETE FROM ${legacy} WHERE ${requestId} = ANY($1) RETURNING *) INSERT INTO ${parent} SELECT * FROM moved ON CONFLICT DO NOTHING`, [ids]);
    }
  });
  return batch.length;
}

/** Attempts, tags or tool calls left in the old tables without their request. */
async function moveOrphans(sql: Sql, limit: number): Promise<number> {
  let moved = 0;
  for (const { parent, legacy } of PARTITIONED.slice(1)) {
    const rows = await sql.query(
      `WITH moved AS (DELETE FROM ${legacy} WHERE ctid IN (SELECT ctid FROM ${legacy} LIMIT $1) RETURNING *) INSERT INTO ${parent} SELECT * FROM moved ON CONFLICT DO NOTHING RETURNING 1`,
      [limit],
    );
    moved += rows.length;
  }
  return moved;
}

/** Whether rows from before migration 7 are still waiting to be moved (the rollups do not count them yet). */
export async function hasLegacyRows(sql: Sql): Promise<boolean> {
  return (await sql.query("SELECT 1 FROM tollgate_requests LIMIT 1")).length > 0;
}
