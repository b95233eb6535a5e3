import type { Sql } from "../store/sql.js";
import { queryUsage, type UsageTotal } from "./usage-query.js";

/** "From `since` on": a bound past any record (year 9999, still an exact integer). */
const END_OF_TIME = Date.UTC(9999, 0, 1);

export type SubjectScope = "key" | "user" | "team" | "tag";

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
  // Through the usage report, so whole days and hours come from the rollups: a month of raw rows is too many to group per call.
  const { totals } = await queryUsage(sql, { groupBy: scope, from: since, to: END_OF_TIME });
  const rank = (a: UsageTotal, b: UsageTotal) => b.costNanos - a.costNanos || b.requests - a.requests || (a.group! < b.group! ? -1 : 1);
  return totals
    .filter((t) => t.group !== null)
    .sort(rank)
    .slice(0, Math.trunc(limit))
    .map((t) => t.group!);
}
