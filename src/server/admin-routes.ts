import type { IncomingMessage, ServerResponse } from "node:http";
import { AdminAuth, handleAdmin, isAdminPath } from "../admin/router.js";
import { renderError } from "../errors/render.js";
import type { Gateway } from "../gateway.js";
import { checkJsonDepth } from "../apis/json-depth.js";
import { readJsonBody, type BodyLimits } from "./read-body.js";

/** Admin bodies are small; a key's metadata is capped at 16 KiB. */
const ADMIN_BODY_LIMIT = 256 * 1024;

// The create response carries a secret: no cache may keep it.
const HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, ...HEADERS, "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

export interface AdminRoutes {
  /** False when no admin key is configured: the admin paths then belong to no route (404). */
  readonly enabled: boolean;
  /** Whether `path` is an admin path this transport should hand to `serve`. */
  owns(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
}

/** The admin API over node:http: transport only; src/admin does the work. */
export function createAdminRoutes(gateway: Gateway, bodyLimits: BodyLimits): AdminRoutes {
  const auth = new AdminAuth(gateway.config.adminKeys);
  const limits = { ...bodyLimits, limit: Math.min(ADMIN_BODY_LIMIT, bodyLimits.limit) };
  return {
    enabled: auth.enabled,
    owns: (path) => auth.enabled && isAdminPath(path),
    async serve(req, res, path) {
      const query = Object.fromEntries(new URL(req.url ?? "/", "http://admin.invalid").searchParams);
      try {
        const result = await handleAdmin(auth, gateway.services, {
          method: req.method ?? "GET",
          path,
          query,
          authorization: req.headers.authorization,
          body: async () => {
            const body = await readJsonBody(req, limits);
            checkJsonDepth(body);
            return body;
          },
        });
        send(res, result.status, result.body);
      } catch (err) {
        const rendered = renderError(err, gateway.services.redactor);
        send(res, rendered.status, rendered.body, rendered.headers);
      } finally {
        // An unread body (refused before reading, or too large) would be parsed as the next request.
        if (!req.complete) res.once("finish", () => req.destroy());
      }
    },
  };
}
