import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export type StoreKind = "sqlite" | "postgres";
export const storeKinds: readonly StoreKind[] = ["sqlite", "postgres"];

export const POSTGRES_URL = process.env.TOLLGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** An empty database of its own for one test: a SQLite file in a tmp dir, or a fresh Postgres schema. */
export interface TestDatabase {
  kind: StoreKind;
  /** For `openStore`. */
  url: string;
  /** A directory removed on dispose (the SQLite file lives there; tests may put spools in it). */
  dir: string;
  /** The same database reached through another port on 127.0.0.1 (a proxy); Postgres only. */
  urlThroughPort(port: number): string;
  dispose(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-store-"));
  if (kind === "sqlite") {
    return {
      kind,
      url: `sqlite:${join(dir, "db", "tollgate.db")}`,
      dir,
      urlThroughPort: () => {
        throw new Error("SQLite has no port");
      },
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }
  // Test files run in parallel against one server: each test gets its own schema.
  const schema = `tollgate_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return {
    kind,
    url: url.toString(),
    dir,
    urlThroughPort(port) {
      const via = new URL(url);
      via.hostname = "127.0.0.1";
      via.port = String(port);
      return via.toString();
    },
    async dispose() {
      await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
