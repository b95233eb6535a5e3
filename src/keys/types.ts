/** Limits a virtual key carries for itself. */
export interface KeyLimits {
  budgets?: { period: "hour" | "day" | "month" | "total"; usd?: number; tokens?: number }[];
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (worst case reserved, actual settled). */
  tpm?: number;
}

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
