import type { AdminConfig } from "./admin-schema.js";
import type { SecretRef } from "./secret-ref.js";

type AdminKeyInput = Exclude<AdminConfig["keys"][number], string>;

/** An admin key with what it may do: its grant, the secret read. */
type AdminKeyGrant = Omit<AdminKeyInput, "key"> & { secret: string };

export type ResolvedOidc = Omit<NonNullable<AdminConfig["oidc"]>, "clientSecret"> & { clientSecret?: string };

export interface ResolvedAdmin {
  keys: AdminKeyGrant[];
  oidc?: ResolvedOidc;
}

/** The `admin` section with its secrets read (`secret` reads one, recording a config issue when unset). */
export function resolveAdmin(admin: AdminConfig, secret: (ref: SecretRef, path: string) => string): ResolvedAdmin {
  const keys = admin.keys.map((entry, i): AdminKeyGrant => {
    // The plain form predates roles: such a key is an owner key, as it always was.
    if (typeof entry === "string") return { secret: secret(entry, `admin.keys[${i}]`), role: "owner", teams: [] };
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
