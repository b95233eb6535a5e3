import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Sql } from "./sql.js";
import { SqliteReader } from "./sqlite-reader.js";

// `$n` outside string literals; literals are matched first so their contents are kept.
const PLACEHOLDER = /'(?:[^']|'')*'|\$(\d+)/g;
const STATEMENT_CACHE_SIZE = 256;

/** `$1..$n` → `?1..?n`: numbered, so a placeholder may repeat as in Postgres. */
export function toSqlitePlaceholders(sql: string): string {
  return sql.replace(PLACEHOLDER, (match, n: string | undefined) => (n === undefined ? match : `?${n}`));
}

/** "1", "2", …: made once, not per bound value (a ledger batch binds thousands). */
const PARAM_NAMES = Array.from({ length: 64 }, (_, i) => String(i + 1));

/**
 * better-sqlite3 binds `?NNN` by name ("1", "2", ...). Integers go in as BigInt so SQLite
 * sees INTEGER, not REAL; booleans become 0/1 as in the schema.
 */
function bindings(params: readonly unknown[]): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    named[PARAM_NAMES[i] ?? String(i + 1)] = value === undefined ? null : typeof value === "boolean" ? (value ? 1n : 0n) : typeof value === "number" && Number.isInteger(value) ? BigInt(value) : value;
  }
  return named;
}
/** Serialises async critical sections: each starts after the previous one settled. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * An embedded SQLite database. better-sqlite3 is synchronous and has one connection, so
 * an open transaction would absorb any statement issued meanwhile: every statement
 * outside a transaction, and every transaction, waits its turn on one mutex. A file
 * database also reads off the event loop (`queryInWorker`: a worker thread's own
 * connection, which only reads; WAL lets it read while this one writes).
 */
export function openSqlite(file: string): Sql {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // Takes effect in a new file only: the ledger's retention then gives deleted pages back (incremental_vacuum).
  db.pragma("auto_vacuum = INCREMENTAL");
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  // Safe with WAL (a power loss may drop the last commits, never corrupts) and much faster.
  db.pragma("synchronous = NORMAL");

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statement = db.prepare(toSqlitePlaceholders(sql));
      statements.set(sql, statement);
    }
    return statement;
  };
  const run = <T>(sql: string, params: readonly unknown[] = []): T[] => {
    const statement = prepare(sql);
    const args = params.length > 0 ? [bindings(params)] : [];
    if (statement.reader) return statement.all(...args) as T[];
    statement.run(...args);
    return [];
  };

  const mutex = new Mutex();
  let savepoints = 0;
  const reader = file === ":memory:" ? undefined : new SqliteReader(resolve(file));

  /** A handle bound to an open transaction: runs directly, since it holds the mutex. */
  const transactionHandle = (): { tx: Sql; end(): void } => {
    let open = true;
    const check = () => {
      if (!open) throw new Error("transaction handle used after its transaction ended");
    };
    const tx: Sql = {
      dialect: "sqlite",
      async query<T>(sql: string, params?: readonly unknown[]) {
        check();
        return run<T>(sql, params);
      },
      async exec(sql: string) {
        check();
        db.exec(sql);
      },
      runEach(sql: string, rows: readonly (readonly unknown[])[]) {
        check();
        const statement = prepare(sql);
        // Spread, not one array: better-sqlite3 binds arguments directly, an array's elements through
        // a property read each (~2.5 µs less per ledger record: bench:ledger-write, paired).
        for (const values of rows) statement.run(...values);
      },
      async transaction<T>(fn: (tx: Sql) => Promise<T>) {
        check();
        const name = `tollgate_sp_${++savepoints}`;
        db.exec(`SAVEPOINT ${name}`);
        try {
          const result = await fn(tx);
          db.exec(`RELEASE ${name}`);
          return result;
        } catch (err) {
          db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
          throw err;
        }
      },
      async close() {
        throw new Error("cannot close the store from inside a transaction");
      },
    };
    return { tx, end: () => void (open = false) };
  };

  return {
    dialect: "sqlite",
    query: <T>(sql: string, params?: readonly unknown[]) => mutex.run(() => run<T>(sql, params)),
    exec: (sql: string) => mutex.run(() => void db.exec(sql)),
    transaction: <T>(fn: (tx: Sql) => Promise<T>) =>
      mutex.run(async () => {
        const { tx, end } = transactionHandle();
        // IMMEDIATE takes the write lock now, so another process cannot make it fail at the first write.
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn(tx);
          db.exec("COMMIT");
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw err;
        } finally {
          end();
        }
      }),
    ...(reader && {
      queryInWorker: (sql: string, params: readonly unknown[] = [], signal?: AbortSignal) => reader.query(toSqlitePlaceholders(sql), params.length > 0 ? bindings(params) : undefined, signal),
    }),
    close: async () => {
      await reader?.close();
      await mutex.run(() => void db.close());
    },
  };
}
