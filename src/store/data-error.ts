/**
 * True when the database refused the data itself (a constraint, a value out of range, an
 * invalid character), so retrying the same rows can never succeed; false for everything
 * else (unreachable, timed out, locked), which may pass later.
 */
export function isDataError(err: unknown): boolean {
  const { code, routine } = (err ?? {}) as { code?: unknown; routine?: unknown };
  if (typeof code !== "string") return false;
  // better-sqlite3's SqliteError codes.
  if (code.startsWith("SQLITE_")) return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
  // A row routed to the default partition while a partition for it was being attached: routed again, it lands in the new one.
  if (routine === "ExecPartitionCheckEmitError") return false;
  // Postgres SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation).
  return /^2[23][0-9A-Z]{3}$/.test(code);
}
