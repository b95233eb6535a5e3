import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Sql } from "../../store/sql.js";
import type { Principal } from "../principal.js";

export interface Session {
  principal: Principal;
  /** Sent back by the page in x-csrf-token on every change. */
  csrf: string;
  expiresAt: number;
}

const hashOf = (id: string) => createHash("sha256").update(id).digest("hex");

/**
 * Dashboard sessions in the database, so every instance knows them and signing out ends
 * them everywhere. Only the SHA-256 of the cookie value is stored.
 */
export class SessionStore {
  constructor(private readonly store: () => Promise<Sql>) {}

  /** A new session; returns the cookie value (shown to the browser only). */
  async create(principal: Principal, ttlMs: number, now = Date.now()): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString("base64url");
    const session: Session = { principal, csrf: randomBytes(24).toString("base64url"), expiresAt: now + ttlMs };
    const sql = await this.store();
    // Expired sessions are swept as new ones begin: no timer, no growth without bound.
    await sql.query("DELETE FROM tollgate_sessions WHERE expires_at <= $1", [now]);
    await sql.query("INSERT INTO tollgate_sessions (id_hash, principal, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)", [
      hashOf(id),
      JSON.stringify(principal),
      session.csrf,
      now,
      session.expiresAt,
    ]);
    return { id, session };
  }

  async get(id: string, now = Date.now()): Promise<Session | undefined> {
    const [row] = await (await this.store()).query<{ principal: string; csrf: string; expires_at: number | string }>("SELECT principal, csrf, expires_at FROM tollgate_sessions WHERE id_hash = $1", [
      hashOf(id),
    ]);
    if (!row || Number(row.expires_at) <= now) return undefined;
    return { principal: JSON.parse(row.principal) as Principal, csrf: row.csrf, expiresAt: Number(row.expires_at) };
  }

  async delete(id: string): Promise<void> {
    await (await this.store()).query("DELETE FROM tollgate_sessions WHERE id_hash = $1", [hashOf(id)]);
  }
}

/** Constant-time comparison of the presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
