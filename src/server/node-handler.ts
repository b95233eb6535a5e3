import type { IncomingMessage, ServerResponse } from "node:http";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { openaiEmbeddingsCodec } from "../apis/openai-embeddings/codec.js";
import { openaiResponsesCodec } from "../apis/openai-responses/codec.js";
import type { InboundCodec } from "../apis/inbound-codec.js";
import { createDashboardRoutes } from "../dashboard/routes.js";
import { MethodNotAllowedError, NotFoundError } from "../errors/gateway-error.js";
import { renderError } from "../errors/render.js";
import type { Gateway, InboundRequest } from "../gateway.js";
import { createCountTokens, countTokensCodec } from "../pipeline/count-tokens.js";
import { AdminAuth } from "../admin/router.js";
import { createAdminRoutes } from "./admin-routes.js";
import { serveModels } from "./model-routes.js";
import { NodeSink } from "./node-sink.js";
import { readJsonBody } from "./read-body.js";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const API_ROUTES: Record<string, InboundCodec> = {
  "/v1/chat/completions": openaiChatCodec,
  "/v1/responses": openaiResponsesCodec,
  "/v1/messages": anthropicMessagesCodec,
  "/v1/embeddings": openaiEmbeddingsCodec,
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown, gateway: Gateway, codec?: InboundCodec): void {
  const rendered = renderError(err, gateway.services.redactor);
  sendJson(res, rendered.status, codec ? codec.errorBody(rendered) : rendered.body, rendered.headers);
}

/**
 * The gateway as a node:http handler: transport only. Mountable in Express/Connect
 * (unknown paths go to `next` when given) or used by `tollgate start`.
 */
export function createNodeHandler(gateway: Gateway): NodeHandler {
  const admin = createAdminRoutes(gateway);
  const metrics = metricsRoute(gateway);
  const dashboard = createDashboardRoutes(admin.enabled, gateway.services.redactor);
  const countTokens = createCountTokens(gateway);

  return (req, res, next) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (admin.owns(path)) {
      void admin.serve(req, res, path);
      return;
    }
    if (dashboard.owns(path)) return dashboard.serve(req, res, path);
    const codec = API_ROUTES[path];
    if (codec) {
      if (req.method !== "POST") return sendError(res, new MethodNotAllowedError(req.method ?? "", path), gateway, codec);
      void serveApi(gateway, codec, req, res);
      return;
    }
    if (path === "/v1/messages/count_tokens") {
      if (req.method !== "POST") return sendError(res, new MethodNotAllowedError(req.method ?? "", path), gateway, countTokensCodec);
      void serveApi(gateway, countTokensCodec, req, res, countTokens);
      return;
    }
    if (serveModels(gateway, req, res, path)) return;
    // Clients probe the base URL before they start (Claude Code sends HEAD /).
    if ((req.method === "HEAD" || req.method === "GET") && path === "/") return sendJson(res, 200, { name: "tollgate", status: "ok" });
    if (metrics && req.method === "GET" && path === "/metrics") return void metrics(req, res);
    if (req.method === "GET" && path === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (req.method === "GET" && path === "/readyz") {
      return gateway.accepting ? sendJson(res, 200, { status: "ready" }) : sendJson(res, 503, { status: "draining" });
    }
    if (next) return next();
    sendError(res, new NotFoundError("not_found", `No route for ${req.method} ${path}.`), gateway);
  };
}

/** GET /metrics in Prometheus text format, behind the admin key when `observability.metrics.auth` is "admin"; undefined when metrics are off. */
function metricsRoute(gateway: Gateway): ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined {
  const { metrics } = gateway.services;
  if (!metrics) return undefined;
  const auth = gateway.config.observability.metrics.auth === "admin" ? new AdminAuth(gateway.config.adminKeys) : undefined;
  return async (req, res) => {
    try {
      auth?.check(req.headers.authorization);
      const text = await metrics.text();
      if (res.headersSent || res.destroyed) return;
      res.writeHead(200, { "content-type": metrics.contentType, "content-length": String(Buffer.byteLength(text)), "cache-control": "no-store" });
      res.end(text);
    } catch (err) {
      sendError(res, err, gateway);
    }
  };
}

function queryOf(url: string | undefined): { query?: string } {
  const at = url?.indexOf("?") ?? -1;
  const query = at >= 0 ? url?.slice(at + 1) : undefined;
  return query ? { query } : {};
}

async function serveApi(gateway: Gateway, codec: InboundCodec, req: IncomingMessage, res: ServerResponse, run: (request: InboundRequest) => Promise<void> = (r) => gateway.handle(r)): Promise<void> {
  let body: unknown;
  try {
    body = await readJsonBody(req, gateway.config.server.bodyLimitBytes);
  } catch (err) {
    if (!req.complete) {
      // Unread body bytes would otherwise be parsed as the next request on this connection:
      // tell the client not to reuse it, and close it once the answer is out.
      res.setHeader("connection", "close");
      // Taken now: node detaches the socket once the response finishes (none: already gone).
      const socket = req.socket ?? res.socket;
      if (socket) res.once("finish", () => socket.destroy());
    }
    sendError(res, err, gateway, codec);
    return;
  }
  try {
    await run({
      codec,
      headers: req.headers,
      body,
      ...queryOf(req.url),
      sink: new NodeSink(res),
      // "close" before the answer is complete means the client went away.
      onClientGone: (cancel) => (res.destroyed ? cancel() : res.once("close", () => res.writableFinished || cancel())),
    });
  } catch (err) {
    // The pipeline renders its own errors; this is the last guard against a crash.
    if (!res.headersSent) sendError(res, err, gateway, codec);
    else res.destroy();
  }
}
