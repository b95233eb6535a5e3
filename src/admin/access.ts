import { ForbiddenError } from "../errors/org-errors.js";
import type { Principal } from "../orgs/principal.js";
import type { Role } from "../orgs/roles.js";
import { seesAll } from "../orgs/scope.js";

/**
 * Who may call an endpoint at all. Every admin route declares one (the router's type
 * demands it, and the authorisation test fails for an endpoint it has no row for); what
 * a caller then sees or changes is narrowed to their teams or their own records inside
 * the handler (orgs/scope.ts).
 */
export interface Access {
  roles: readonly Role[];
  /** Only for callers who see the whole organisation (owners, viewers without teams). */
  orgWide?: boolean;
}

/** Reading, narrowed to what the caller may see. */
export const READ: Access = { roles: ["owner", "team_admin", "member", "viewer"] };
/** Keys: an owner's any, a team admin's in their teams, a member's own. */
export const MANAGE_KEYS: Access = { roles: ["owner", "team_admin", "member"] };
/** Teams, users and roles. */
export const OWNER_ONLY: Access = { roles: ["owner"] };
/** Data about the whole organisation at once (provider performance, the audit log). */
export const ORG_READ: Access = { roles: ["owner", "viewer"], orgWide: true };

export function allows(access: Access, p: Principal): boolean {
  return access.roles.includes(p.role) && (!access.orgWide || seesAll(p));
}

export function assertAllowed(access: Access, p: Principal, method: string, path: string): void {
  if (!allows(access, p)) throw new ForbiddenError(`The ${p.role} role may not call ${method} ${path.slice(0, 200)}.`);
}
