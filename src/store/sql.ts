/**
 * The relational store as the rest of Tollgate sees it: SQLite embedded by default,
 * PostgreSQL for many instances. SQL is written once, in the subset both accept, with
 * `$1, $2, ...` placeholders; integers that can exceed 2^53 are not used.
 */
export interface Sql {
  readonly dialect: "sqlite" | "postgres";
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs statements without results (DDL, several statements separated by ";"). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * SQLite's transaction handles only: runs one statement (`?` placeholders, bound in order)
   * once per list of values, synchronously, with no promise per row. Numbers are bound as
   * given (SQLite's INTEGER affinity stores whole ones as integers).
   */
  runEach?(sql: string, rows: readonly (readonly unknown[])[]): void;
  /**
   * SQLite stores in a file only: runs one read-only statement on a connection of its own in a
   * worker thread, so that a long aggregate never holds the event loop. It reads what was
   * committed when it starts (WAL), never this store's open transaction. Rows come as arrays in
   * column order, integers as BigInt (exact beyond 2^53). Rejects with `signal`'s reason when
   * it aborts (the worker is stopped), and once the store is closed.
   */
  queryInWorker?(sql: string, params?: readonly unknown[], signal?: AbortSignal): Promise<unknown[][]>;
  close(): Promise<void>;
}
