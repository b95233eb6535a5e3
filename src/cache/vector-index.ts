/** The nearest cached request a vector search found. */
export interface VectorMatch {
  /** What `add` stored beside the vector: the cache key of the answer. */
  ref: string;
  /** Cosine similarity, 1 for the same direction. */
  similarity: number;
}

/**
 * The semantic cache's vector search. Vectors live in partitions (one per tenant, route
 * and conversation context: a search never crosses one) and expire with their answers.
 * sqlite-vec implements it embedded; Postgres/pgvector (a table with a partition column
 * and an `ORDER BY embedding <=> $1 LIMIT 1` query) or a vector database could too.
 */
export interface VectorIndex {
  /** Adds `vector` to `partition`, found until `expiresAt` (epoch ms on the cache's clock). */
  add(partition: string, vector: readonly number[], ref: string, expiresAt: number): Promise<void>;
  /** The most similar vector of `partition` not expired at `now`, when its similarity reaches `minSimilarity`. */
  nearest(partition: string, vector: readonly number[], minSimilarity: number, now: number): Promise<VectorMatch | undefined>;
  /** Deletes the vectors expired at or before `now`. */
  purge(now: number): Promise<void>;
  close(): Promise<void>;
}
