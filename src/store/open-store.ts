import { migrate } from "./migrations.js";
import { openPostgres } from "./postgres.js";
import type { Sql } from "./sql.js";
import { openSqlite } from "./sqlite.js";

/**
 * Opens the store a URL names and brings its schema up to date:
 * `sqlite:PATH` (also `sqlite://PATH`), `sqlite::memory:`, or `postgres://` /
 * `postgresql://`, where an optional `?schema=NAME` selects the Postgres schema.
 */
export async function openStore(url: string): Promise<Sql> {
  const sql = connect(url);
  try {
    await migrate(sql);
  } catch (err) {
    await sql.close().catch(() => undefined);
    throw err;
  }
  return sql;
}

function connect(url: string): Sql {
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\//, "");
    if (path === "") throw new Error("sqlite store URL has no path (use sqlite:PATH or sqlite::memory:)");
    return openSqlite(path);
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get("schema");
    parsed.searchParams.delete("schema");
    return openPostgres(parsed.toString(), schema === null ? {} : { schema });
  }
  // Only the scheme: the rest may carry a password.
  throw new Error(`unsupported store URL scheme "${url.split(":")[0]}:" (use sqlite:PATH or postgres://...)`);
}
