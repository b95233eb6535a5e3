import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditLog } from "../../audit/audit-log.js";
import { NotFoundError, PermissionDeniedError } from "../../errors/gateway-error.js";
import { renderError } from "../../errors/render.js";
import type { OrgDirectory } from "../org-directory.js";
import type { ResolvedOidc } from "../../config/resolve-admin.js";
import { FLOW_COOKIE, readCookie, SESSION_COOKIE, setCookie } from "./cookies.js";
import { OidcFlow, type PendingSignIn } from "./oidc-flow.js";
import { csrfMatches, type SessionStore } from "./session-store.js";
import { principalForClaims, SignInRefused } from "./sign-in.js";

/** Mounted beside the dashboard: /dashboard/auth/{status,login,callback,logout}. */
export const SSO_PREFIX = "/dashboard/auth/";
/** The sign-in must finish within this long after the redirect to the provider. */
const FLOW_SECONDS = 600;

export interface SsoContext {
  sessions: SessionStore;
  orgs: OrgDirectory;
  audit: AuditLog;
  /** Writes a failure to the gateway's log (never shown to the browser in full). */
  warn: (message: string) => void;
}

export interface CallInfo {
  source?: string;
  requestId: string;
}

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body = ""): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "cache-control": "no-store", "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/** A plain page for a refused or failed sign-in, with a way back. */
function failurePage(res: ServerResponse, status: number, message: string, clearFlow: string): void {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><meta charset="utf-8"><title>Sign-in failed · Tollgate</title><p id="sign-in-error">${escaped}</p><p><a href="../">Back to the dashboard</a></p>`;
  send(res, status, { "content-type": "text/html; charset=utf-8", "set-cookie": clearFlow, "content-security-policy": "default-src 'none'; frame-ancestors 'none'" }, html);
}

/**
 * Dashboard sign-in with OpenID Connect. The session cookie is HttpOnly, Secure (unless
 * `secureCookie: false`) and SameSite=Strict; the short-lived flow cookie that carries
 * state, nonce and the PKCE verifier to the callback is SameSite=Lax, because the
 * provider's redirect back is a cross-site navigation.
 */
export function createSsoRoutes(oidc: ResolvedOidc | undefined, ctx: SsoContext) {
  const flow = oidc ? new OidcFlow(oidc) : undefined;
  const secure = oidc?.secureCookie ?? true;
  // The callback's directory as the browser sees it: right under a host app's mount prefix too.
  const flowPath = oidc ? new URL(".", oidc.redirectUri).pathname : SSO_PREFIX;
  const flowCookie = (value: string, maxAgeSeconds: number) => setCookie(FLOW_COOKIE, value, { maxAgeSeconds, sameSite: "Lax", secure, path: flowPath });
  const sessionCookie = (value: string, maxAgeSeconds: number) => setCookie(SESSION_COOKIE, value, { maxAgeSeconds, sameSite: "Strict", secure, path: "/" });

  return async function serve(req: IncomingMessage, res: ServerResponse, name: string, call: CallInfo): Promise<void> {
    const method = req.method ?? "GET";
    if (name === "status" && method === "GET") return send(res, 200, { "content-type": "application/json" }, JSON.stringify({ sso: flow !== undefined }));
    if (name === "logout" && method === "POST") {
      const id = readCookie(req.headers.cookie, SESSION_COOKIE);
      const session = id ? await ctx.sessions.get(id) : undefined;
      const token = req.headers["x-csrf-token"];
      if (!session || !csrfMatches(session, Array.isArray(token) ? token[0] : token))
        return send(res, 403, { "content-type": "application/json" }, JSON.stringify(renderError(new PermissionDeniedError("csrf_failed", "Sign out needs the session's x-csrf-token.")).body));
      await ctx.sessions.delete(id!);
      await ctx.audit.record({
        actor: session.principal.actor,
        actorRole: session.principal.role,
        via: "session",
        ...(call.source ? { source: call.source } : {}),
        requestId: call.requestId,
        action: "session.delete",
        resource: "session",
        status: 204,
      });
      return send(res, 204, { "set-cookie": sessionCookie("", 0) });
    }
    if (!flow || !oidc || method !== "GET" || (name !== "login" && name !== "callback")) {
      return send(res, 404, { "content-type": "application/json" }, JSON.stringify(renderError(new NotFoundError("not_found", `No route for ${method} ${SSO_PREFIX}${name.slice(0, 100)}.`)).body));
    }
    if (name === "login") {
      try {
        const started = await flow.start();
        return send(res, 302, { location: started.url, "set-cookie": flowCookie(Buffer.from(JSON.stringify(started.pending)).toString("base64url"), FLOW_SECONDS) });
      } catch (err) {
        ctx.warn(`OIDC discovery failed: ${err instanceof Error ? err.message : String(err)}`);
        return failurePage(res, 502, "The identity provider could not be reached. Try again shortly, or sign in with an admin key.", flowCookie("", 0));
      }
    }
    const clearFlow = flowCookie("", 0);
    const pending = pendingOf(readCookie(req.headers.cookie, FLOW_COOKIE));
    if (!pending) return failurePage(res, 400, "This sign-in expired or was started in another browser. Start again.", clearFlow);
    const search = new URL(req.url ?? "/", "http://callback.invalid").search;
    try {
      const claims = await flow.finish(search, pending);
      const principal = await principalForClaims(claims, oidc, ctx.orgs, ctx.audit, call);
      const ttlMs = oidc.sessionTtlMinutes * 60_000;
      const { id } = await ctx.sessions.create(principal, ttlMs);
      await ctx.audit.record({
        actor: principal.actor,
        actorRole: principal.role,
        via: "oidc",
        ...(call.source ? { source: call.source } : {}),
        requestId: call.requestId,
        action: "session.create",
        resource: "session",
        status: 302,
        after: { role: principal.role, teams: principal.teams, user_id: principal.userId },
      });
      return send(res, 302, { location: "../", "set-cookie": [clearFlow, sessionCookie(id, ttlMs / 1000)] });
    } catch (err) {
      if (err instanceof SignInRefused) return failurePage(res, 403, err.message, clearFlow);
      ctx.warn(`OIDC sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
      return failurePage(res, 400, "The identity provider's answer could not be verified. Start the sign-in again.", clearFlow);
    }
  };
}

function pendingOf(cookie: string | undefined): PendingSignIn | undefined {
  if (!cookie) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cookie, "base64url").toString("utf8")) as Partial<PendingSignIn>;
    return typeof value.state === "string" && typeof value.nonce === "string" && typeof value.verifier === "string" ? { state: value.state, nonce: value.nonce, verifier: value.verifier } : undefined;
  } catch {
    return undefined;
  }
}
