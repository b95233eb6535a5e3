import type { KeyLimits } from "../spec/identity.js";

/** A virtual key as stored: never the secret, only its SHA-256. */
export interface KeyRecord {
  /** Public id, safe to log: "key_" + 16 hex. */
  id: string;
  /** SHA-256 hex of the secret. */
  hash: string;
  /** The secret's first characters, for people to recognise it ("tg_3f9a…"). */
  prefix: string;
  name?: string;
  userId: string;
  teamId?: string;
  /** Route names this key may use; undefined means all. */
  allowedModels?: string[];
  /** Browser origins (CORS) this key may be used from besides the gateway's `server.cors.origins`; undefined: those only. */
  allowedOrigins?: string[];
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  limits: KeyLimits;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
}
