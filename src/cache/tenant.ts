import type { Identity } from "../spec/identity.js";

export type CacheScope = "team" | "key" | "user" | "global";

/**
 * Whose cached answers a caller may be served, as a key prefix no two tenants share:
 * its team (or its key when it has none), its key, its user (or key), or everyone.
 */
export function tenantOf(identity: Identity, scope: CacheScope): string {
  switch (scope) {
    case "global":
      return "global";
    case "team":
      return identity.teamId !== undefined ? `team:${identity.teamId}` : `key:${identity.keyId}`;
    case "user":
      return identity.userId !== undefined ? `user:${identity.userId}` : `key:${identity.keyId}`;
    case "key":
      return `key:${identity.keyId}`;
  }
}
