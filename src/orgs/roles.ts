import type { ROLES } from "../config/admin-schema.js";

export type Role = (typeof ROLES)[number];

/** Higher wins when several IdP groups map one person to different roles. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, team_admin: 2, owner: 3 };
