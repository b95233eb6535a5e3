import { StaticKeys } from "../auth/static-keys.js";
import { AuthenticationError, InvalidRequestError, MethodNotAllowedError, NotFoundError } from "../errors/gateway-error.js";
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
export const ADMIN_PREFIX = "/admin";

interface Route {
  /** Path segments after /admin; ":name" captures one. */
  segments: string[];
  methods: Record<string, AdminHandler>;
}

const ROUTES: Route[] = [
  { segments: ["keys"], methods: { GET: listKeys, POST: createKey } },
  { segments: ["keys", ":id"], methods: { GET: getKey, PATCH: updateKey, DELETE: revokeKey } },
  { segments: ["usage"], methods: { GET: getUsage } },
  { segments: ["summary"], methods: { GET: getSummary } },
  { segments: ["performance"], methods: { GET: getPerformance } },
  { segments: ["requests"], methods: { GET: listRequests } },
  { segments: ["requests", ":id"], methods: { GET: getRequest } },
  { segments: ["budgets"], methods: { GET: getBudgets } },
  { segments: ["repricing-runs"], methods: { GET: getRepricingRuns, POST: createRepricingRun } },
  { segments: ["alerts"], methods: { GET: getAlerts, POST: createAlertRule } },
  { segments: ["alerts", "test"], methods: { POST: testAlert } },
  { segments: ["alerts", ":id"], methods: { DELETE: deleteAlertRule } },
];

/** Methods whose handlers read a JSON body. */
export const METHODS_WITH_BODY = new Set(["POST", "PATCH"]);

export interface MatchedRoute {
  handler: AdminHandler;
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
    const handler = route.methods[method];
    if (!handler) throw new MethodNotAllowedError(method, path);
    return { handler, params, hasBody: METHODS_WITH_BODY.has(method) };
  }
  throw new NotFoundError("not_found", `No admin route for ${method} ${path}.`);
}

/** The admin API's keys; with none configured the API is disabled (its paths answer 404). */
export class AdminAuth {
  private readonly keys: StaticKeys;

  constructor(adminKeys: readonly string[]) {
    this.keys = new StaticKeys(adminKeys);
  }

  get enabled(): boolean {
    return !this.keys.open;
  }

  /** Throws 401 unless `authorization` is `Bearer <an admin key>` (compared in constant time). */
  check(authorization: string | string[] | undefined): void {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const presented = header && header.length > 7 && header.slice(0, 7).toLowerCase() === "bearer " ? header.slice(7).trim() : undefined;
    if (!presented) throw new AuthenticationError("missing_api_key", "Missing admin key: send Authorization: Bearer <admin key>.");
    if (!this.keys.verify(presented)) throw new AuthenticationError("invalid_api_key", "Invalid admin key.");
  }
}

export interface AdminCall {
  method: string;
  /** The full path, /admin/... */
  path: string;
  query: Record<string, string>;
  authorization: string | string[] | undefined;
  /** Read the JSON body: called only after authentication, and only for methods that take one. */
  body?: () => Promise<unknown>;
}

/** One admin call end to end, for any transport: authenticate, route, read the body, handle. */
export async function handleAdmin(auth: AdminAuth, services: AdminServices, call: AdminCall): Promise<AdminResult> {
  if (!auth.enabled) throw new NotFoundError("not_found", `No route for ${call.method} ${call.path}.`);
  auth.check(call.authorization);
  const route = matchAdminRoute(call.method, call.path);
  const body = route.hasBody ? await (call.body?.() ?? Promise.resolve(undefined)) : undefined;
  return route.handler({ params: route.params, query: call.query, body, services });
}
