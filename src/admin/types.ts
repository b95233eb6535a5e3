import type { AuditLog } from "../audit/audit-log.js";
import type { Principal } from "../orgs/principal.js";
import type { GatewayServices } from "../stages/context.js";

/** What the admin handlers use of a gateway: the database, the key cache, the budget counters, the config, teams and users, the audit log. */
export type AdminServices = Pick<GatewayServices, "config" | "store" | "keyStore" | "virtualKeys" | "budgetStore" | "orgs"> & { audit: AuditLog };

/** One admin API call, independent of the transport that carried it. */
export interface AdminInput {
  /** Path parameters, already decoded (e.g. `{ id: "key_..." }`). */
  params: Record<string, string>;
  /** Query parameters (the last value of a repeated one). */
  query: Record<string, string>;
  /** The parsed JSON body; undefined for methods without one. */
  body: unknown;
  services: AdminServices;
  /** Who is calling, with their role and teams (admin/access.ts, orgs/scope.ts). */
  principal: Principal;
  /** A dashboard session's CSRF token (GET /admin/me hands it to the page). */
  csrf?: string;
  /** The current time (epoch ms); tests pin it. */
  now?: number;
}

/** What a change did, for the audit log: the record before and after (views without secrets). */
interface AuditNote {
  action?: string;
  id?: string;
  before?: unknown;
  after?: unknown;
}

/** A successful answer; failures are thrown as GatewayErrors and rendered by the transport. */
export interface AdminResult {
  status: number;
  body: unknown;
  /** A body that is not JSON (the audit export's JSON lines). */
  contentType?: string;
  audit?: AuditNote;
}

export type AdminHandler = (input: AdminInput) => Promise<AdminResult>;
