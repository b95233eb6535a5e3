import type { Sql } from "../store/sql.js";
import { alertRuleSchema, type AlertRule } from "../config/alerts-schema.js";

/** Rules added through the admin API, beside those of the config. */
export async function listStoredRules(sql: Sql): Promise<AlertRule[]> {
  const rows = await sql.query<{ rule: string }>("SELECT rule FROM tollgate_alert_rules ORDER BY created_at, id");
  // Validated again on the way out: a row written by another version cannot break evaluation.
  return rows.flatMap((r) => {
    const parsed = alertRuleSchema.safeParse(JSON.parse(r.rule));
    return parsed.success ? [parsed.data] : [];
  });
}

/** False when a rule with this id is already stored. */
export async function storeRule(sql: Sql, rule: AlertRule, now: number): Promise<boolean> {
  const rows = await sql.query("INSERT INTO tollgate_alert_rules (id, rule, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id", [rule.id, JSON.stringify(rule), now]);
  return rows.length > 0;
}

export async function deleteStoredRule(sql: Sql, id: string): Promise<boolean> {
  return (await sql.query("DELETE FROM tollgate_alert_rules WHERE id = $1 RETURNING id", [id])).length > 0;
}
