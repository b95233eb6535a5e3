import type { IncomingMessage, ServerResponse } from "node:http";
import { MethodNotAllowedError, NotFoundError } from "../errors/gateway-error.js";
import type { Redactor } from "../errors/redact.js";
import { renderError } from "../errors/render.js";
import { loadStaticFiles, type StaticFile } from "./static-files.js";

/** Where the dashboard is mounted (relative links inside it keep working under a host app's prefix). */
const DASHBOARD_PREFIX = "/dashboard";

/**
 * The page holds no data and no secret (the admin key is typed into it and kept in the
 * tab's sessionStorage); everything it shows comes from /admin/* with that key. The policy
 * allows only the gateway's own scripts and styles, and no framing.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export interface DashboardRoutes {
  owns(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse, path: string): void;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer | string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  // Revalidated on every load, so an upgraded gateway never runs a stale UI.
  const headers: Record<string, string> = { "content-type": file.contentType, "cache-control": "no-cache", etag: file.etag, vary: "accept-encoding" };
  if (req.headers["if-none-match"] === file.etag) return send(res, 304, headers);
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? file.gzip : file.body;
  if (gzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = String(body.length);
  send(res, 200, headers, req.method === "HEAD" ? undefined : body);
}

function sendError(res: ServerResponse, err: unknown, redactor: Redactor): void {
  const rendered = renderError(err, redactor);
  send(res, rendered.status, { ...rendered.headers, "content-type": "application/json" }, JSON.stringify(rendered.body));
}

/** The dashboard over node:http; `enabled` is false when no admin key is configured (its paths then 404 like /admin). */
export function createDashboardRoutes(enabled: boolean, redactor: Redactor): DashboardRoutes {
  let files: Map<string, StaticFile> | undefined;
  return {
    owns: (path) => enabled && (path === DASHBOARD_PREFIX || path.startsWith(`${DASHBOARD_PREFIX}/`)),
    serve(req, res, path) {
      if (req.method !== "GET" && req.method !== "HEAD") return sendError(res, new MethodNotAllowedError(req.method ?? "", path), redactor);
      // "dashboard/" relative to /dashboard (or /prefix/dashboard): assets and the API are then relative to the page.
      if (path === DASHBOARD_PREFIX) return send(res, 308, { location: "dashboard/", "content-length": "0" });
      try {
        files ??= loadStaticFiles();
      } catch (err) {
        // A broken install (web/ or uplot missing): a 500 for this request, not a crash.
        return sendError(res, err, redactor);
      }
      const name = path.slice(DASHBOARD_PREFIX.length + 1);
      const file = files.get(name === "" ? "index.html" : name);
      if (!file) return sendError(res, new NotFoundError("not_found", `No dashboard file at ${path.slice(0, 200)}.`), redactor);
      sendFile(req, res, file);
    },
  };
}
