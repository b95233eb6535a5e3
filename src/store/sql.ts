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
  close(): Promise<void>;
}
