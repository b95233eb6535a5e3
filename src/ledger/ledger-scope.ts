/** Which requests of the ledger a caller may see: all, those of some teams, or one user's. */
export type LedgerScope = { teamIds: readonly string[] } | { userId: string } | undefined;

/**
 * " AND <condition>" limiting ledger request rows (aliased `alias`) to `scope`, its
 * values appended to `params`; "" for the whole ledger. No team at all matches nothing.
 */
export function scopeCondition(scope: LedgerScope, params: unknown[], alias = ""): string {
  if (!scope) return "";
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  if ("userId" in scope) return ` AND ${column("user_id")} = $${params.push(scope.userId)}`;
  if (scope.teamIds.length === 0) return " AND 1 = 0";
  return ` AND ${column("team_id")} IN (${scope.teamIds.map((t) => `$${params.push(t)}`).join(", ")})`;
}

/** The same limit for tag rows (`tollgate_ledger_tags`), which carry no team or user. */
export function tagScopeCondition(scope: LedgerScope, params: unknown[]): string {
  if (!scope) return "";
  return ` AND request_id IN (SELECT id FROM tollgate_ledger_requests WHERE 1 = 1${scopeCondition(scope, params)})`;
}
