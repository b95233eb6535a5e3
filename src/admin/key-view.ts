import type { KeyRecord } from "../keys/types.js";
import type { KeyLimits } from "../spec/identity.js";
import { iso } from "./time.js";

/** A virtual key as the admin API shows it: never the hash, never the secret. */
export interface KeyView {
  object: "key";
  id: string;
  /** The secret's first characters, to recognise it ("tg_3f9a…"). */
  prefix: string;
  name: string | null;
  user_id: string;
  team_id: string | null;
  /** Route names the key may use; null means all. */
  allowed_models: string[] | null;
  /** Browser origins the key may be used from besides the gateway's; null: the gateway's only. */
  allowed_origins: string[] | null;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  limits: KeyLimits;
  status: "active" | "expired" | "revoked";
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export function keyStatus(key: KeyRecord, now = Date.now()): KeyView["status"] {
  if (key.revokedAt !== undefined) return "revoked";
  if (key.expiresAt !== undefined && key.expiresAt <= now) return "expired";
  return "active";
}

/** Field by field, so nothing added to KeyRecord later (a hash) leaks by accident. */
export function keyView(key: KeyRecord, now = Date.now()): KeyView {
  return {
    object: "key",
    id: key.id,
    prefix: key.prefix,
    name: key.name ?? null,
    user_id: key.userId,
    team_id: key.teamId ?? null,
    allowed_models: key.allowedModels ?? null,
    allowed_origins: key.allowedOrigins ?? null,
    tags: key.tags,
    metadata: key.metadata,
    limits: key.limits,
    status: keyStatus(key, now),
    created_at: iso(key.createdAt),
    expires_at: key.expiresAt === undefined ? null : iso(key.expiresAt),
    revoked_at: key.revokedAt === undefined ? null : iso(key.revokedAt),
  };
}
