/**
 * owner: everything. team_admin: the keys, budgets and usage of their teams. member: their
 * own keys and usage. viewer: read-only (of everything, or of their teams when given some).
 */
export const ROLES = ["owner", "team_admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Higher wins when several IdP groups map one person to different roles. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, team_admin: 2, owner: 3 };
