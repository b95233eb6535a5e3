// A worker thread's own connection to a SQLite file, which only reads (see sqlite-reader.ts). No
// relative imports: under vitest Node runs this file as TypeScript by stripping its types,
// and would not map `./x.js` to `./x.ts`.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

interface Request {
  id: number;
  sql: string;
  params: Record<string, unknown> | undefined;
}

const port = parentPort;
if (!port) throw new Error("sqlite-read-worker runs in a worker thread");
// Writable only to checkpoint (below); query_only refuses every statement that would change data.
const db = new Database((workerData as { file: string }).file, { fileMustExist: true });
db.pragma("query_only = ON");
db.pragma("busy_timeout = 5000");
const statements = new Map<string, Database.Statement>();
const STATEMENT_CACHE_SIZE = 64;

port.on("message", ({ id, sql, params }: Request) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      // Integers as BigInt: a sum beyond 2^53 comes back exact, as an INSERT ... SELECT would keep it.
      statement = db.prepare(sql).raw(true).safeIntegers(true);
      statements.set(sql, statement);
    }
    const rows = params ? statement.all(params) : statement.all();
    // The store's connection could not copy to the database file what it wrote while this read
    // held its snapshot: its next commit would, on the event loop. Copied here instead (PASSIVE:
    // never waits, skipped if a checkpoint is under way).
    db.pragma("wal_checkpoint(PASSIVE)");
    port.postMessage({ id, rows });
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
