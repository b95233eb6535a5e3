import type { TeamRecord, UserRecord } from "../orgs/types.js";
import { iso } from "./time.js";

function profileView(r: TeamRecord | UserRecord) {
  return {
    id: r.id,
    name: r.name ?? null,
    allowed_models: r.allowedModels ?? null,
    tags: r.tags,
    limits: r.limits,
    status: r.disabledAt === undefined ? "active" : "disabled",
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    disabled_at: r.disabledAt === undefined ? null : iso(r.disabledAt),
  };
}

/** A team as the admin API shows it (field by field, like keyView). */
export const teamView = (t: TeamRecord) => ({ object: "team" as const, ...profileView(t) });

export const userView = (u: UserRecord) => ({ object: "user" as const, ...profileView(u), email: u.email ?? null, role: u.role, teams: u.teams });
