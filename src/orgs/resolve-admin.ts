import type { SecretRef } from "../config/secret-ref.js";
import type { AdminConfigInput, OidcConfig } from "./config-schema.js";
import type { Role } from "./roles.js";

/** An admin key with what it may do. */
interface AdminKeyGrant {
  secret: string;
  role: Role;
  teams: string[];
  user?: string;
  name?: string;
}

export type ResolvedOidc = Omit<OidcConfig, "clientSecret"> & { clientSecret?: string };

export interface ResolvedAdmin {
  keys: AdminKeyGrant[];
  oidc?: ResolvedOidc;
}

/** The `admin` section with its secrets read (`secret` reads one, recording a config issue when unset). */
export function resolveAdmin(admin: AdminConfigInput, secret: (ref: SecretRef, path: string) => string): ResolvedAdmin {
  const keys = admin.keys.map((entry, i): AdminKeyGrant => {
    // The plain form predates roles: such a key is an owner key, as it always was.
    if (typeof entry === "string" || "env" in entry) return { secret: secret(entry, `admin.keys[${i}]`), role: "owner", teams: [] };
    return {
      secret: secret(entry.key, `admin.keys[${i}].key`),
      role: entry.role,
      teams: entry.teams,
      ...(entry.user !== undefined ? { user: entry.user } : {}),
      ...(entry.name !== undefined ? { name: entry.name } : {}),
    };
  });
  if (!admin.oidc) return { keys };
  const { clientSecret, ...oidc } = admin.oidc;
  return { keys, oidc: { ...oidc, ...(clientSecret !== undefined ? { clientSecret: secret(clientSecret, "admin.oidc.clientSecret") } : {}) } };
}
