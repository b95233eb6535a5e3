import { seesAll } from "../orgs/scope.js";
import { allows, type Access } from "./access.js";
import type { AdminHandler } from "./types.js";

/**
 * GET /admin/me: who the caller is and which endpoints their role may call (the dashboard
 * shows only those); for a dashboard session, the CSRF token its changes must carry.
 */
export const meHandler =
  (endpoints: () => { endpoint: string; access: Access }[]): AdminHandler =>
  async ({ principal, csrf }) => ({
    status: 200,
    body: {
      object: "principal",
      actor: principal.actor,
      via: principal.via,
      role: principal.role,
      teams: principal.teams,
      user_id: principal.userId ?? null,
      sees_all: seesAll(principal),
      endpoints: endpoints()
        .filter((e) => allows(e.access, principal))
        .map((e) => e.endpoint),
      ...(csrf !== undefined ? { csrf_token: csrf } : {}),
    },
  });
