import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import type { VectorIndex, VectorMatch } from "./vector-index.js";

/** sqlite-vec's bound on a float vector's length. */
const MAX_DIMENSIONS = 8192;

const blob = (vector: readonly number[]) => Buffer.from(new Float32Array(vector).buffer);

/**
 * Vectors in sqlite-vec `vec0` tables, one per vector length (a vec0 column has a fixed
 * one): the partition is a partition key (the search scans that shard only), expiry a
 * metadata column filtered inside the KNN query, the cache key an auxiliary column.
 * Its own database (a file or memory), never the gateway's: better-sqlite3 is synchronous
 * and the gateway's connection may be inside a ledger transaction.
 */
export class SqliteVecIndex implements VectorIndex {
  private readonly db: Database.Database;
  private readonly tables = new Set<number>();

  constructor(path = ":memory:") {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    sqliteVec.load(this.db);
    const existing = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'semantic_[0-9]*' AND name NOT GLOB '*_*_*'").all() as { name: string }[];
    for (const { name } of existing) this.tables.add(Number(name.slice("semantic_".length)));
  }

  private table(dimensions: number): string {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) throw new RangeError(`A vector of ${dimensions} dimensions cannot be indexed (1-${MAX_DIMENSIONS}).`);
    const name = `semantic_${dimensions}`;
    if (!this.tables.has(dimensions)) {
      this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(embedding float[${dimensions}] distance_metric=cosine, partition text partition key, expires_at integer, +ref text)`);
      this.tables.add(dimensions);
    }
    return name;
  }

  async add(partition: string, vector: readonly number[], ref: string, expiresAt: number): Promise<void> {
    this.db.prepare(`INSERT INTO ${this.table(vector.length)} (embedding, partition, expires_at, ref) VALUES (?, ?, ?, ?)`).run(blob(vector), partition, BigInt(expiresAt), ref);
  }

  async nearest(partition: string, vector: readonly number[], minSimilarity: number, now: number): Promise<VectorMatch | undefined> {
    if (!this.tables.has(vector.length)) return undefined;
    const row = this.db
      .prepare(`SELECT ref, distance FROM ${this.table(vector.length)} WHERE embedding MATCH ? AND k = 1 AND partition = ? AND expires_at > ?`)
      .get(blob(vector), partition, BigInt(now)) as { ref: string; distance: number } | undefined;
    if (!row) return undefined;
    // sqlite-vec's cosine distance is 1 - cosine similarity.
    const similarity = 1 - row.distance;
    return similarity >= minSimilarity ? { ref: row.ref, similarity } : undefined;
  }

  async purge(now: number): Promise<void> {
    for (const dimensions of this.tables) {
      const name = this.table(dimensions);
      this.db.prepare(`DELETE FROM ${name} WHERE rowid IN (SELECT rowid FROM ${name} WHERE expires_at <= ?)`).run(BigInt(now));
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
