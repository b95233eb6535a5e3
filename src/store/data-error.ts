/**
 * True when the database refused the data itself (a constraint, a value out of range, an
 * invalid character), so retrying the same rows can never succeed; false for everything
 * else (unreachable, timed out, locked), which may pass later.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== "string") return false;
  // better-sqlite3's SqliteError codes.
  if (code.startsWith("SQLITE_")) return /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
  // Postgres SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation).
  return /^2[23][0-9A-Z]{3}$/.test(code);
}
