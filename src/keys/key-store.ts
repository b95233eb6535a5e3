import type { Sql } from "../store/sql.js";
import { generateKeySecret, hashKeySecret, newKeyId } from "./key-secret.js";
import type { KeyRecord } from "./types.js";
import type { KeyLimits } from "../spec/identity.js";

export interface NewKey {
  userId: string;
  name?: string;
  teamId?: string;
  allowedModels?: string[];
  allowedOrigins?: string[];
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  limits?: KeyLimits;
  expiresAt?: number;
}

export type KeyPatch = Partial<Pick<KeyRecord, "name" | "teamId" | "allowedModels" | "allowedOrigins" | "tags" | "metadata" | "limits" | "expiresAt">>;

interface KeyRow {
  id: string;
  hash: string;
  prefix: string;
  name: string | null;
  user_id: string;
  team_id: string | null;
  allowed_models: string | null;
  allowed_origins: string | null;
  tags: string | null;
  metadata: string | null;
  limits: string | null;
  created_at: number | string;
  expires_at: number | string | null;
  revoked_at: number | string | null;
}

const COLUMNS = "id, hash, prefix, name, user_id, team_id, allowed_models, tags, metadata, limits, created_at, expires_at, revoked_at, allowed_origins";

function fromRow(row: KeyRow): KeyRecord {
  const record: KeyRecord = {
    id: row.id,
    hash: row.hash,
    prefix: row.prefix,
    userId: row.user_id,
    tags: row.tags ? (JSON.parse(row.tags) as Record<string, string>) : {},
    metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : {},
    limits: row.limits ? (JSON.parse(row.limits) as KeyLimits) : {},
    createdAt: Number(row.created_at),
  };
  if (row.name !== null) record.name = row.name;
  if (row.team_id !== null) record.teamId = row.team_id;
  if (row.allowed_models !== null) record.allowedModels = JSON.parse(row.allowed_models) as string[];
  if (row.allowed_origins !== null) record.allowedOrigins = JSON.parse(row.allowed_origins) as string[];
  if (row.expires_at !== null) record.expiresAt = Number(row.expires_at);
  if (row.revoked_at !== null) record.revokedAt = Number(row.revoked_at);
  return record;
}

/** Virtual keys in the database. The secret exists only in `create`'s return value. */
export class KeyStore {
  constructor(private readonly sql: Sql) {}

  async create(input: NewKey, now = Date.now()): Promise<{ key: KeyRecord; secret: string }> {
    const secret = generateKeySecret();
    const key: KeyRecord = {
      id: newKeyId(),
      hash: hashKeySecret(secret),
      prefix: `${secret.slice(0, 7)}…`,
      userId: input.userId,
      tags: input.tags ?? {},
      metadata: input.metadata ?? {},
      limits: input.limits ?? {},
      createdAt: now,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
      ...(input.allowedModels !== undefined ? { allowedModels: input.allowedModels } : {}),
      ...(input.allowedOrigins !== undefined ? { allowedOrigins: input.allowedOrigins } : {}),
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
    };
    await this.sql.query(`INSERT INTO tollgate_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13)`, [
      key.id,
      key.hash,
      key.prefix,
      key.name ?? null,
      key.userId,
      key.teamId ?? null,
      key.allowedModels ? JSON.stringify(key.allowedModels) : null,
      JSON.stringify(key.tags),
      JSON.stringify(key.metadata),
      JSON.stringify(key.limits),
      key.createdAt,
      key.expiresAt ?? null,
      key.allowedOrigins ? JSON.stringify(key.allowedOrigins) : null,
    ]);
    return { key, secret };
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const rows = await this.sql.query<KeyRow>(`SELECT ${COLUMNS} FROM tollgate_keys WHERE hash = $1`, [hash]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const rows = await this.sql.query<KeyRow>(`SELECT ${COLUMNS} FROM tollgate_keys WHERE id = $1`, [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(filter: { userId?: string; teamId?: string; includeRevoked?: boolean } = {}): Promise<KeyRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.userId !== undefined) where.push(`user_id = $${params.push(filter.userId)}`);
    if (filter.teamId !== undefined) where.push(`team_id = $${params.push(filter.teamId)}`);
    if (!filter.includeRevoked) where.push("revoked_at IS NULL");
    const rows = await this.sql.query<KeyRow>(`SELECT ${COLUMNS} FROM tollgate_keys${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at, id`, params);
    return rows.map(fromRow);
  }

  /** Marks a key revoked; true if it existed and was active. */
  async revoke(id: string, now = Date.now()): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>("UPDATE tollgate_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id", [id, now]);
    return rows.length > 0;
  }

  /** The browser origins active keys list: a preflight, which carries no key, is answered for them. */
  async allowedOrigins(now = Date.now()): Promise<Set<string>> {
    const rows = await this.sql.query<{ allowed_origins: string }>(
      "SELECT allowed_origins FROM tollgate_keys WHERE allowed_origins IS NOT NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
      [now],
    );
    return new Set(rows.flatMap((r) => JSON.parse(r.allowed_origins) as string[]));
  }

  async update(id: string, patch: KeyPatch): Promise<KeyRecord | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => sets.push(`${column} = $${params.push(value)}`);
    if ("name" in patch) set("name", patch.name ?? null);
    if ("teamId" in patch) set("team_id", patch.teamId ?? null);
    if ("allowedModels" in patch) set("allowed_models", patch.allowedModels ? JSON.stringify(patch.allowedModels) : null);
    if ("allowedOrigins" in patch) set("allowed_origins", patch.allowedOrigins ? JSON.stringify(patch.allowedOrigins) : null);
    if ("tags" in patch) set("tags", JSON.stringify(patch.tags ?? {}));
    if ("metadata" in patch) set("metadata", JSON.stringify(patch.metadata ?? {}));
    if ("limits" in patch) set("limits", JSON.stringify(patch.limits ?? {}));
    if ("expiresAt" in patch) set("expires_at", patch.expiresAt ?? null);
    if (sets.length > 0) await this.sql.query(`UPDATE tollgate_keys SET ${sets.join(", ")} WHERE id = $1`, params);
    return this.get(id);
  }
}
