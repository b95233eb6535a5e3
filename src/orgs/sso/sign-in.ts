import type { AuditLog } from "../../audit/audit-log.js";
import type { OrgDirectory } from "../org-directory.js";
import type { Principal } from "../principal.js";
import type { ResolvedOidc } from "../../config/resolve-admin.js";
import type { UserRecord } from "../types.js";
import { roleFromClaims } from "./role-mapping.js";

/** Sign-in refused: the message is shown to the person. */
export class SignInRefused extends Error {}

/**
 * Who a person signed in by the IdP is to Tollgate. Their user id is the `userClaim`; their
 * role and teams come from `oidc.roles` when a rule matches, else from their user record.
 * A person without a record gets one (role and teams as mapped), so keys can be made for
 * them; a disabled record, or no role from either, refuses the sign-in.
 */
export async function principalForClaims(
  claims: Record<string, unknown>,
  oidc: ResolvedOidc,
  orgs: OrgDirectory,
  audit: AuditLog,
  call: { source?: string; requestId: string },
  now = Date.now(),
): Promise<Principal> {
  const userId = claims[oidc.userClaim];
  if (typeof userId !== "string" || userId === "") throw new SignInRefused(`The identity provider sent no "${oidc.userClaim}" claim to name you by.`);
  const mapped = roleFromClaims(claims, oidc);
  const store = await orgs.store();
  const record = await store.getUser(userId);
  if (record?.disabledAt !== undefined) throw new SignInRefused(`The Tollgate user ${userId} is disabled.`);
  const grant = mapped ?? (record ? { role: record.role, teams: record.teams } : undefined);
  if (!grant) throw new SignInRefused(`No Tollgate role for ${userId}: none of your groups is mapped to one (admin.oidc.roles), and you have no user record.`);
  const principal: Principal = { actor: `user:${userId}`, via: "session", role: grant.role, teams: grant.teams, userId };
  if (!record) {
    const user: UserRecord = { id: userId, role: grant.role, teams: grant.teams, tags: {}, limits: {}, createdAt: now, updatedAt: now };
    if (typeof claims.email === "string") user.email = claims.email;
    if (typeof claims.name === "string") user.name = claims.name.slice(0, 256);
    if (await store.createUser(user)) {
      orgs.forget("user", userId);
      await audit.record({
        actor: principal.actor,
        actorRole: principal.role,
        via: "oidc",
        ...(call.source ? { source: call.source } : {}),
        requestId: call.requestId,
        action: "users.create",
        resource: "users",
        resourceId: userId,
        status: 201,
        after: user,
        at: now,
      });
    }
  }
  return principal;
}
