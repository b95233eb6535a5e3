import type { IncomingMessage, ServerResponse } from "node:http";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { openaiEmbeddingsCodec } from "../apis/openai-embeddings/codec.js";
import { openaiResponsesCodec } from "../apis/openai-responses/codec.js";
import type { InboundCodec } from "../apis/inbound-codec.js";
import { createDashboardRoutes } from "../dashboard/routes.js";
import { MethodNotAllowedError, NotFoundError } from "../errors/gateway-error.js";
import { renderError } from "../errors/render.js";
import type { Gateway } from "../gateway.js";
import { AdminAuth } from "../admin/router.js";
import { createAdminRoutes } from "./admin-routes.js";
import { NodeSink } from "./node-sink.js";
import { BodyBytes } from "./body-bytes.js";
import { readJsonBody, type BodyLimits } from "./read-body.js";

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
  const models = {
    object: "list",
    data: Object.values(gateway.config.models).map((r) => ({
      id: r.name,
      object: "model",
      created: 0,
      owned_by: "tollgate",
      ...(r.description ? { description: r.description } : {}),
      ...(r.contextWindow ? { context_window: r.contextWindow } : {}),
      ...(r.maxOutputTokens ? { max_output_tokens: r.maxOutputTokens } : {}),
    })),
  };
  const { server } = gateway.config;
  const bodyLimits: BodyLimits = { limit: server.bodyLimitBytes, timeoutMs: server.bodyTimeoutMs, inFlight: new BodyBytes(server.bodyBytesInFlight) };
  const admin = createAdminRoutes(gateway, bodyLimits);
  const metrics = metricsRoute(gateway);
  const dashboard = createDashboardRoutes(admin.enabled, gateway.services.redactor);

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
      void serveApi(gateway, codec, req, res, bodyLimits);
      return;
    }
    if (req.method === "GET" && path === "/v1/models") return sendJson(res, 200, models);
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

async function serveApi(gateway: Gateway, codec: InboundCodec, req: IncomingMessage, res: ServerResponse, bodyLimits: BodyLimits): Promise<void> {
  // Taken now: node detaches the socket once the response finishes.
  const socket = req.socket;
  // A body left unread (refused before reading: no key, too large, too slow) would be parsed
  // as the next request on this connection: the connection closes once the answer is out.
  res.once("finish", () => req.complete || socket.destroy());
  try {
    await gateway.handle({
      codec,
      headers: req.headers,
      // Read only once the caller is authenticated: a request without a valid key costs no body.
      body: undefined,
      readBody: () => readJsonBody(req, bodyLimits),
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
