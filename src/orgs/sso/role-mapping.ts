import type { ResolvedOidc } from "../../config/resolve-admin.js";
import { ROLE_RANK, type Role } from "../roles.js";

/**
 * The role and teams the IdP's claims grant under `oidc.roles`: a rule matches when its
 * claim (default: the groups claim) equals its value or, as a list, contains it. Of all
 * matching rules the highest role wins, and the teams of every match add up. Undefined
 * when none matches.
 */
export function roleFromClaims(claims: Record<string, unknown>, oidc: Pick<ResolvedOidc, "roles" | "groupsClaim">): { role: Role; teams: string[] } | undefined {
  let role: Role | undefined;
  const teams = new Set<string>();
  for (const rule of oidc.roles) {
    const value = claims[rule.claim ?? oidc.groupsClaim];
    const matches = Array.isArray(value) ? value.includes(rule.value) : value === rule.value;
    if (!matches) continue;
    if (role === undefined || ROLE_RANK[rule.role] > ROLE_RANK[role]) role = rule.role;
    for (const t of rule.teams) teams.add(t);
  }
  return role === undefined ? undefined : { role, teams: [...teams].sort() };
}
