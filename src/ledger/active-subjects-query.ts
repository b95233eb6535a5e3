import type { Sql } from "../store/sql.js";

export type SubjectScope = "key" | "user" | "team" | "tag";

const COLUMNS: Record<Exclude<SubjectScope, "tag">, string> = { key: "key_id", user: "user_id", team: "team_id" };

/**
 * The keys, users, teams or tags ("name=value") that made requests since `since` (epoch ms),
 * biggest spenders first, at most `limit`: the subjects a "*" budget rule has counters for.
 * `tagName` narrows tags to one name.
 */
export async function queryActiveSubjects(sql: Sql, scope: SubjectScope, since: number, limit: number, tagName?: string): Promise<string[]> {
  if (scope === "tag") {
    const params: unknown[] = [since, Math.trunc(limit)];
    const byName = tagName === undefined ? "" : `AND name = $${params.push(tagName)}`;
    const rows = await sql.query<{ name: string; value: string }>(
      `SELECT name, value FROM tollgate_ledger_tags WHERE started_at >= $1 ${byName} GROUP BY name, value ORDER BY SUM(cost_nanos) DESC, COUNT(*) DESC LIMIT $2`,
      params,
    );
    return rows.map((r) => `${r.name}=${r.value}`);
  }
  const column = COLUMNS[scope];
  const rows = await sql.query<{ subject: string }>(
    `SELECT ${column} AS subject FROM tollgate_ledger_requests WHERE started_at >= $1 AND ${column} IS NOT NULL GROUP BY ${column} ORDER BY SUM(cost_nanos) DESC, COUNT(*) DESC LIMIT $2`,
    [since, Math.trunc(limit)],
  );
  return rows.map((r) => r.subject);
}
