import { createHash, timingSafeEqual } from "node:crypto";
import { AuthenticationError, GatewayError, InvalidRequestError, MethodNotAllowedError, NotFoundError } from "../errors/gateway-error.js";
import { CsrfError } from "../errors/org-errors.js";
import type { Principal } from "../orgs/principal.js";
import type { ResolvedAdmin } from "../config/resolve-admin.js";
import { readCookie, SESSION_COOKIE } from "../orgs/sso/cookies.js";
import { csrfMatches, type SessionStore } from "../orgs/sso/session-store.js";
import { assertAllowed, MANAGE_KEYS, ORG_READ, OWNER_ONLY, READ, type Access } from "./access.js";
import { exportAudit, listAudit } from "./audit.js";
import { meHandler } from "./me.js";
import { createTeam, disableTeam, getTeam, listTeams, updateTeam } from "./teams.js";
import { createUser, disableUser, getUser, listUsers, updateUser } from "./users.js";
import { createKey, getKey, listKeys, revokeKey, updateKey } from "./keys.js";
import type { AdminHandler, AdminResult, AdminServices } from "./types.js";
import { createAlertRule, deleteAlertRule, getAlerts, testAlert } from "./alerts.js";
import { getBudgets } from "./budgets.js";
import { getPerformance } from "./performance.js";
import { getRequest, listRequests } from "./requests.js";
import { getSummary } from "./summary.js";
import { createRepricingRun, getRepricingRuns } from "./repricing.js";
import { getUsage } from "./usage.js";

/** Where the admin API is mounted. */
const ADMIN_PREFIX = "/admin";

/** A handler and who may call it: a route cannot be added without saying so. */
interface Endpoint {
  handler: AdminHandler;
  access: Access;
}

interface Route {
  /** Path segments after /admin; ":name" captures one. */
  segments: string[];
  methods: Record<string, Endpoint>;
}

const ROUTES: Route[] = [
  { segments: ["me"], methods: { GET: { handler: meHandler(adminEndpoints), access: READ } } },
  { segments: ["keys"], methods: { GET: { handler: listKeys, access: READ }, POST: { handler: createKey, access: MANAGE_KEYS } } },
  { segments: ["keys", ":id"], methods: { GET: { handler: getKey, access: READ }, PATCH: { handler: updateKey, access: MANAGE_KEYS }, DELETE: { handler: revokeKey, access: MANAGE_KEYS } } },
  { segments: ["teams"], methods: { GET: { handler: listTeams, access: READ }, POST: { handler: createTeam, access: OWNER_ONLY } } },
  { segments: ["teams", ":id"], methods: { GET: { handler: getTeam, access: READ }, PATCH: { handler: updateTeam, access: OWNER_ONLY }, DELETE: { handler: disableTeam, access: OWNER_ONLY } } },
  { segments: ["users"], methods: { GET: { handler: listUsers, access: READ }, POST: { handler: createUser, access: OWNER_ONLY } } },
  { segments: ["users", ":id"], methods: { GET: { handler: getUser, access: READ }, PATCH: { handler: updateUser, access: OWNER_ONLY }, DELETE: { handler: disableUser, access: OWNER_ONLY } } },
  { segments: ["usage"], methods: { GET: { handler: getUsage, access: READ } } },
  { segments: ["summary"], methods: { GET: { handler: getSummary, access: READ } } },
  { segments: ["performance"], methods: { GET: { handler: getPerformance, access: ORG_READ } } },
  { segments: ["requests"], methods: { GET: { handler: listRequests, access: READ } } },
  { segments: ["requests", ":id"], methods: { GET: { handler: getRequest, access: READ } } },
  { segments: ["budgets"], methods: { GET: { handler: getBudgets, access: READ } } },
  { segments: ["audit"], methods: { GET: { handler: listAudit, access: ORG_READ } } },
  { segments: ["audit", "export"], methods: { GET: { handler: exportAudit, access: ORG_READ } } },
  { segments: ["repricing-runs"], methods: { GET: { handler: getRepricingRuns, access: ORG_READ }, POST: { handler: createRepricingRun, access: OWNER_ONLY } } },
  { segments: ["alerts"], methods: { GET: { handler: getAlerts, access: ORG_READ }, POST: { handler: createAlertRule, access: OWNER_ONLY } } },
  { segments: ["alerts", "test"], methods: { POST: { handler: testAlert, access: OWNER_ONLY } } },
  { segments: ["alerts", ":id"], methods: { DELETE: { handler: deleteAlertRule, access: OWNER_ONLY } } },
];

/** Every endpoint with its access rule, as "METHOD /admin/path/:param" (the authorisation test walks it). */
export function adminEndpoints(): { endpoint: string; access: Access }[] {
  return ROUTES.flatMap((route) => Object.entries(route.methods).map(([method, e]) => ({ endpoint: `${method} ${ADMIN_PREFIX}/${route.segments.join("/")}`, access: e.access })));
}

/** Methods whose handlers read a JSON body. */
const METHODS_WITH_BODY = new Set(["POST", "PATCH"]);
/** Methods that change nothing: neither a CSRF token nor an audit entry. */
const SAFE_METHODS = new Set(["GET", "HEAD"]);

export interface MatchedRoute extends Endpoint {
  /** "keys", "teams", ...: what the audit log calls the resource. */
  resource: string;
  params: Record<string, string>;
  /** Whether the handler reads a JSON body. */
  hasBody: boolean;
}

export const isAdminPath = (path: string) => path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidRequestError("invalid_request", `Malformed path segment "${segment.slice(0, 100)}".`);
  }
}

/** The handler for `method` on `path` (the full path, /admin/...); 404 or 405 otherwise. */
export function matchAdminRoute(method: string, path: string): MatchedRoute {
  const segments = path.slice(ADMIN_PREFIX.length).split("/").filter(Boolean);
  for (const route of ROUTES) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = route.segments.every((s, i) => {
      if (s.startsWith(":")) {
        params[s.slice(1)] = decode(segments[i]!);
        return true;
      }
      return s === segments[i];
    });
    if (!matches) continue;
    const endpoint = Object.hasOwn(route.methods, method) ? route.methods[method] : undefined;
    if (!endpoint) throw new MethodNotAllowedError(method, path);
    return { ...endpoint, resource: route.segments[0]!, params, hasBody: METHODS_WITH_BODY.has(method) };
  }
  throw new NotFoundError("not_found", `No admin route for ${method} ${path}.`);
}

const digest = (key: string) => createHash("sha256").update(key).digest();

function bearerOf(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return header && header.length > 7 && header.slice(0, 7).toLowerCase() === "bearer " ? header.slice(7).trim() || undefined : undefined;
}

/**
 * Who may use the admin API: admin keys from config (each with a role) and, with OIDC
 * configured, dashboard sessions. With neither the API is disabled (its paths answer 404).
 */
export class AdminAuth {
  private readonly grants: { digest: Buffer; principal: Principal }[];

  constructor(
    private readonly admin: ResolvedAdmin,
    private readonly sessions?: SessionStore,
  ) {
    this.grants = admin.keys.map((grant) => {
      const d = digest(grant.secret);
      // The fingerprint is what StaticKeys calls a key: safe to log, stable across restarts.
      const name = grant.name ?? `key_${d.toString("hex").slice(0, 12)}`;
      const principal: Principal = { actor: `admin-key:${name}`, via: "admin_key", role: grant.role, teams: grant.teams, ...(grant.user !== undefined ? { userId: grant.user } : {}) };
      return { digest: d, principal };
    });
  }

  get enabled(): boolean {
    return this.grants.length > 0 || this.admin.oidc !== undefined;
  }

  /** The admin key in `authorization`, compared in constant time against every key; 401 when absent or wrong. */
  keyPrincipal(authorization: string | string[] | undefined): Principal {
    const presented = bearerOf(authorization);
    if (!presented) throw new AuthenticationError("missing_api_key", "Missing admin key: send Authorization: Bearer <admin key>.");
    const d = digest(presented);
    let match: Principal | undefined;
    for (const grant of this.grants) if (timingSafeEqual(d, grant.digest)) match = grant.principal;
    if (!match) throw new AuthenticationError("invalid_api_key", "Invalid admin key.");
    return match;
  }

  /** Throws 401 unless `authorization` carries an admin key (any role): /metrics. */
  check(authorization: string | string[] | undefined): void {
    this.keyPrincipal(authorization);
  }

  /**
   * The caller: an admin key when one is sent, else the session cookie. A change made
   * with a cookie must carry the session's CSRF token (and, when the browser says, come
   * from this origin): the cookie alone proves nothing about who built the request.
   */
  async authenticate(call: AdminCall): Promise<{ principal: Principal; csrf?: string }> {
    if (call.authorization !== undefined || !this.sessions) return { principal: this.keyPrincipal(call.authorization) };
    const id = readCookie(call.cookie, SESSION_COOKIE);
    const session = id ? await this.sessions.get(id) : undefined;
    if (!session) throw new AuthenticationError("missing_api_key", "Not signed in: send Authorization: Bearer <admin key>, or sign in to the dashboard.");
    if (!SAFE_METHODS.has(call.method) && (!csrfMatches(session, call.csrfToken) || (call.originMismatch ?? false))) throw new CsrfError();
    return { principal: session.principal, csrf: session.csrf };
  }
}

export interface AdminCall {
  method: string;
  /** The full path, /admin/... */
  path: string;
  query: Record<string, string>;
  authorization: string | string[] | undefined;
  /** The Cookie header (dashboard sessions). */
  cookie?: string | undefined;
  /** The x-csrf-token header. */
  csrfToken?: string | undefined;
  /** The browser's Origin header names another site. */
  originMismatch?: boolean;
  /** The caller's address, for the audit log. */
  source?: string | undefined;
  /** This call's id (x-request-id), for the audit log. */
  requestId: string;
  /** Read the JSON body: called only after authentication, and only for methods that take one. */
  body?: () => Promise<unknown>;
}

const VERBS: Record<string, string> = { POST: "create", PATCH: "update", PUT: "replace", DELETE: "delete" };

/**
 * One admin call end to end, for any transport: authenticate, route, check the role,
 * read the body, handle; every change (and every refused one) goes to the audit log, so
 * an endpoint added later is covered without doing anything.
 */
export async function handleAdmin(auth: AdminAuth, services: AdminServices, call: AdminCall): Promise<AdminResult> {
  if (!auth.enabled) throw new NotFoundError("not_found", `No route for ${call.method} ${call.path}.`);
  const { principal, csrf } = await auth.authenticate(call);
  // Disabling a person's user record ends their sessions at once.
  if (principal.via === "session" && principal.userId !== undefined && (await services.orgs.user(principal.userId))?.disabledAt !== undefined) {
    throw new AuthenticationError("invalid_api_key", "Your Tollgate user is disabled.");
  }
  const route = matchAdminRoute(call.method, call.path);
  const audited = !SAFE_METHODS.has(call.method);
  const audit = (status: number, result?: AdminResult) =>
    services.audit.record({
      actor: principal.actor,
      actorRole: principal.role,
      via: principal.via,
      ...(call.source !== undefined ? { source: call.source } : {}),
      requestId: call.requestId,
      action: result?.audit?.action ?? `${route.resource}.${VERBS[call.method] ?? call.method.toLowerCase()}`,
      resource: route.resource,
      ...((result?.audit?.id ?? route.params.id) !== undefined ? { resourceId: result?.audit?.id ?? route.params.id } : {}),
      status,
      // Without a handler's account of the change, the answer is what changed.
      ...(result ? { before: result.audit?.before, after: result.audit ? result.audit.after : result.body } : {}),
    });
  let result: AdminResult;
  try {
    assertAllowed(route.access, principal, call.method, call.path);
    const body = route.hasBody ? await (call.body?.() ?? Promise.resolve(undefined)) : undefined;
    result = await route.handler({ params: route.params, query: call.query, body, services, principal, ...(csrf !== undefined ? { csrf } : {}) });
  } catch (err) {
    if (audited && err instanceof GatewayError && err.status === 403) await audit(403);
    throw err;
  }
  if (audited) await audit(result.status, result);
  return result;
}
