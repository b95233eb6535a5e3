/** Limits a virtual key carries for itself. */
export interface KeyLimits {
  budgets?: { period: "hour" | "day" | "month" | "total"; usd?: number; tokens?: number }[];
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (worst case reserved, actual settled). */
  tpm?: number;
}

/** Who is calling, as established by key auth or the host application's hook. */
export interface Identity {
  keyId: string;
  userId?: string;
  teamId?: string;
  /** The application's own end user, from `x-tollgate-end-user` or the body's `user`. */
  endUser?: string;
  /** The key's tags merged with the request's `x-tollgate-tags`. */
  tags?: Record<string, string>;
  /** Route names the key may use; undefined means all. */
  allowedModels?: string[];
  /** Browser origins the key may be used from besides the gateway's (`allowed_origins`). */
  allowedOrigins?: string[];
  limits?: KeyLimits;
  /** The budgets of the key's user and team records, over all their keys. */
  userLimits?: KeyLimits;
  teamLimits?: KeyLimits;
}
