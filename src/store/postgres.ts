import pg from "pg";
import type { Sql } from "./sql.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The store's contract is plain numbers: BIGINT columns, COUNT(*) and SUM(...) (NUMERIC
 * in Postgres) are parsed as JS numbers, as their values stay below 2^53. Set per pool,
 * not globally, so other pg users in the process keep pg's defaults.
 */
function numberTypes(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  types.setTypeParser(NUMERIC_OID, Number);
  return types;
}

/** Booleans as 0/1, as the schema stores them (and as SQLite binds them). */
function normalise(params: readonly unknown[]): unknown[] {
  return params.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v));
}

export interface PostgresOptions {
  /** Schema every connection uses (`search_path`); it must exist. */
  schema?: string;
}

/** PostgreSQL through a small `pg.Pool`, for several gateway instances sharing one database. */
export function openPostgres(url: string, options: PostgresOptions = {}): Sql {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 15_000,
    keepAlive: true,
    application_name: "tollgate",
    types: numberTypes(),
    // A startup parameter: set once per connection, with no extra round trip.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that breaks (database restart, network cut) is dropped by the pool;
  // without a listener its error would be thrown as uncaught.
  pool.on("error", () => undefined);

  /** A handle bound to one checked-out connection inside BEGIN ... COMMIT. */
  const transactionHandle = (client: pg.PoolClient): { tx: Sql; end(): void } => {
    let open = true;
    let savepoints = 0;
    const check = () => {
      if (!open) throw new Error("transaction handle used after its transaction ended");
    };
    const tx: Sql = {
      dialect: "postgres",
      async query<T>(sql: string, params: readonly unknown[] = []) {
        check();
        return (await client.query(sql, normalise(params))).rows as T[];
      },
      async exec(sql: string) {
        check();
        await client.query(sql);
      },
      async transaction<T>(fn: (tx: Sql) => Promise<T>) {
        check();
        const name = `tollgate_sp_${++savepoints}`;
        await client.query(`SAVEPOINT ${name}`);
        try {
          const result = await fn(tx);
          await client.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (err) {
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
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
    dialect: "postgres",
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await pool.query(sql, normalise(params))).rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      const client = await pool.connect();
      // A checked-out connection has no pool listener; a cut between statements must not crash.
      let broken: Error | undefined;
      const onError = (err: Error) => void (broken = err);
      client.on("error", onError);
      const { tx, end } = transactionHandle(client);
      try {
        await client.query("BEGIN");
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((rollbackError: Error) => void (broken ??= rollbackError));
        throw err;
      } finally {
        end();
        client.removeListener("error", onError);
        // Passing the error destroys the connection instead of returning it to the pool.
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
