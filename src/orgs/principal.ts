import type { Role } from "./roles.js";

/** Who is calling the admin API: an admin key from config, or a person signed in to the dashboard. */
export interface Principal {
  /** For the audit log: "admin-key:<name>" or "user:<id>". Never a secret. */
  actor: string;
  via: "admin_key" | "session";
  role: Role;
  /** A team admin's teams; a viewer's or member's teams (a viewer with none reads everything). */
  teams: readonly string[];
  /** The user a member (or a signed-in person) acts as. */
  userId?: string;
}
