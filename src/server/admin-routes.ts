import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AdminAuth, handleAdmin, isAdminPath } from "../admin/router.js";
import type { AdminServices } from "../admin/types.js";
import { AuditLog } from "../audit/audit-log.js";
import { renderError } from "../errors/render.js";
import type { ServedGateway } from "./served-gateway.js";
import { SessionStore } from "../orgs/sso/session-store.js";
import { createSsoRoutes, SSO_PREFIX } from "../orgs/sso/sso-routes.js";
import { checkJsonDepth } from "../json/json-depth.js";
import { bodyRead, readJsonBody, type BodyLimits } from "./read-body.js";
import type { LingeringClose } from "./linger-close.js";

/** Admin bodies are small; a key's metadata is capped at 16 KiB. */
const ADMIN_BODY_LIMIT = 256 * 1024;

// The create response carries a secret: no cache may keep it.
const HEADERS = { "cache-control": "no-store" };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = "application/json"): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { ...headers, ...HEADERS, "content-type": contentType, "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/** An answer sent with the body unread: the client must not reuse the connection, which closes after it. */
const closing = (req: IncomingMessage): Record<string, string> => (bodyRead(req) ? {} : { connection: "close" });

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** A browser's Origin naming another host than the one it asked: a cross-site request. */
function originMismatch(req: IncomingMessage): boolean {
  const origin = header(req.headers.origin);
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export interface AdminRoutes {
  /** False when no admin key and no OIDC sign-in is configured: the admin paths then belong to no route (404). */
  readonly enabled: boolean;
  /** Whether `path` is an admin (or dashboard sign-in) path this transport should hand to `serve`. */
  owns(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
}

/** The admin API and the dashboard's sign-in over node:http: transport only; src/admin and src/orgs do the work. */
export function createAdminRoutes(gateway: ServedGateway, bodyLimits: BodyLimits, linger: LingeringClose): AdminRoutes {
  const { services } = gateway;
  const sessions = new SessionStore(services.store);
  const auth = new AdminAuth(gateway.config.admin, gateway.config.admin.oidc ? sessions : undefined);
  const audit = new AuditLog(services.store, services.redactor);
  const adminServices: AdminServices = { ...services, audit };
  const sso = createSsoRoutes(gateway.config.admin.oidc, { sessions, orgs: services.orgs, audit, warn: (message) => services.logger.warn({ component: "sso" }, message) });
  const limits = { ...bodyLimits, limit: Math.min(ADMIN_BODY_LIMIT, bodyLimits.limit) };
  return {
    enabled: auth.enabled,
    owns: (path) => auth.enabled && (isAdminPath(path) || path.startsWith(SSO_PREFIX)),
    async serve(req, res, path) {
      const requestId = `adm_${randomUUID().replaceAll("-", "")}`;
      const source = req.socket.remoteAddress;
      res.setHeader("x-request-id", requestId);
      try {
        if (path.startsWith(SSO_PREFIX)) return await sso(req, res, path.slice(SSO_PREFIX.length), { requestId, ...(source ? { source } : {}) });
        const query = Object.fromEntries(new URL(req.url ?? "/", "http://admin.invalid").searchParams);
        const result = await handleAdmin(auth, adminServices, {
          method: req.method ?? "GET",
          path,
          query,
          authorization: req.headers.authorization,
          cookie: req.headers.cookie,
          csrfToken: header(req.headers["x-csrf-token"]),
          originMismatch: originMismatch(req),
          source,
          requestId,
          body: async () => {
            const body = await readJsonBody(req, limits);
            checkJsonDepth(body);
            return body;
          },
        });
        send(res, result.status, result.body, closing(req), result.contentType);
      } catch (err) {
        const rendered = renderError(err, services.redactor);
        send(res, rendered.status, rendered.body, { ...rendered.headers, ...closing(req) });
      } finally {
        // An unread body (refused before reading, or too large) would be parsed as the next request:
        // the connection closes, lingering so that the client reads the answer rather than a reset.
        if (!bodyRead(req)) res.once("finish", () => linger.close(req.socket));
      }
    },
  };
}
