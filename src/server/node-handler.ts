import type { IncomingMessage, ServerResponse } from "node:http";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { openaiEmbeddingsCodec } from "../apis/openai-embeddings/codec.js";
import { openaiResponsesCodec } from "../apis/openai-responses/codec.js";
import type { InboundCodec } from "../apis/inbound-codec.js";
import { createDashboardRoutes } from "../dashboard/routes.js";
import { InvalidRequestError, MethodNotAllowedError, NotFoundError } from "../errors/gateway-error.js";
import { renderError } from "../errors/render.js";
import type { ServedGateway } from "./served-gateway.js";
import { countTokensCodec } from "../apis/anthropic-messages/count-tokens-codec.js";
import { AdminAuth } from "../admin/router.js";
import { createAdminRoutes } from "./admin-routes.js";
import { NodeSink } from "./node-sink.js";
import { geminiCodec } from "../apis/gemini/codec.js";
import { geminiModelsBody, isGeminiModelsRequest } from "../apis/gemini/models.js";
import { geminiCall } from "../apis/gemini/route-path.js";
import { corsHeaders, gatewayAllowsOrigin } from "../cors/origins.js";
import { Preflight } from "../cors/preflight.js";
import { observeHttp, type HttpHandler } from "../observability/http-request.js";
import { apiPath } from "./api-path.js";
import { serveModels } from "./model-routes.js";
import { BodyBytes } from "./body-bytes.js";
import { bodyRead, readJsonBody, type BodyLimits } from "./read-body.js";
import { LingeringClose } from "./linger-close.js";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const API_ROUTES: Record<string, InboundCodec> = {
  "/v1/chat/completions": openaiChatCodec,
  "/v1/responses": openaiResponsesCodec,
  "/v1/messages": anthropicMessagesCodec,
  "/v1/embeddings": openaiEmbeddingsCodec,
};

/** Paths served beside the APIs, the admin API and the dashboard. */
const OTHER_PATHS: ReadonlySet<string> = new Set(["/v1/models", "/metrics", "/healthz", "/readyz"]);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown, gateway: ServedGateway, codec?: InboundCodec): void {
  const rendered = renderError(err, gateway.services.redactor);
  sendJson(res, rendered.status, codec ? codec.errorBody(rendered) : rendered.body, rendered.headers);
}

/**
 * The gateway as a node:http handler: transport only. Mountable in Express/Connect
 * (unknown paths go to `next` when given) or used by `tollgate start`.
 */
export function createNodeHandler(gateway: ServedGateway): NodeHandler {
  const { server } = gateway.config;
  const bodyLimits: BodyLimits = { limit: server.bodyLimitBytes, timeoutMs: server.bodyTimeoutMs, inFlight: new BodyBytes(server.bodyBytesInFlight) };
  const linger = new LingeringClose();
  const admin = createAdminRoutes(gateway, bodyLimits, linger);
  const metrics = metricsRoute(gateway);
  const dashboard = createDashboardRoutes(admin.enabled, gateway.services.redactor);
  const { cors, basePath } = gateway.config.server;
  const preflight = new Preflight(cors.origins, gateway.services.keyStore);

  const servesPath = (path: string) =>
    admin.owns(path) || dashboard.owns(path) || Object.hasOwn(API_ROUTES, path) || geminiCall(path) !== undefined || isGeminiModelsRequest(path, true) || OTHER_PATHS.has(path);

  return (req, res, next) => {
    const started = performance.now();
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
    const query = queryAt < 0 ? "" : url.slice(queryAt + 1);
    const path = apiPath(rawPath, basePath);
    const fromGoogleClient = req.headers["x-goog-api-key"] !== undefined || req.headers["x-goog-api-client"] !== undefined || /(?:^|&)key=/.test(query);
    const exchange = { handler: "unmatched" as HttpHandler, metered: false, passedOn: false };
    // One log line and one metric sample per request, whatever answered it (a host app's `next` excepted: it logs its own).
    // A response emits "close" once: `on` spares once()'s wrapper and its bound function per request.
    res.on(
      "close",
      () =>
        exchange.passedOn ||
        observeHttp(gateway.services, { ...exchange, method: req.method ?? "", path: rawPath, status: res.headersSent ? res.statusCode : 499, latencyMs: performance.now() - started }),
    );
    const origin = req.headers.origin;
    if (origin !== undefined && gatewayAllowsOrigin(cors.origins, origin)) for (const [name, value] of Object.entries(corsHeaders(origin))) res.setHeader(name, value);
    // Mounted in a host app, a preflight for the host's own paths is the host's.
    if (req.method === "OPTIONS" && (!next || servesPath(path))) {
      exchange.handler = "preflight";
      void preflight.answer(req, res);
      return;
    }
    if (admin.owns(path)) {
      exchange.handler = "admin";
      void admin.serve(req, res, path);
      return;
    }
    if (dashboard.owns(path)) {
      exchange.handler = "dashboard";
      return dashboard.serve(req, res, path);
    }
    const codec = API_ROUTES[path];
    if (codec) {
      exchange.handler = "api";
      if (req.method !== "POST") return sendError(res, new MethodNotAllowedError(req.method ?? "", path), gateway, codec);
      void serveApi(gateway, codec, req, res, bodyLimits, linger, exchange);
      return;
    }
    const gemini = geminiCall(path);
    if (gemini) {
      exchange.handler = "gemini";
      const codec = geminiCodec(gemini.model, gemini.method);
      if (req.method !== "POST") return sendError(res, new MethodNotAllowedError(req.method ?? "", path), gateway, codec);
      const params = new URLSearchParams(query);
      // Google's SSE framing is the only stream Tollgate writes; without alt=sse a client expects a JSON array.
      if (gemini.method === "streamGenerateContent" && params.get("alt") !== "sse") {
        return sendError(res, new InvalidRequestError("unsupported_parameter", "streamGenerateContent is served with alt=sse only.", { param: "alt" }), gateway, codec);
      }
      const key = params.get("key");
      if (key && req.headers["x-goog-api-key"] === undefined) req.headers["x-goog-api-key"] = key;
      void serveApi(gateway, codec, req, res, bodyLimits, linger, exchange);
      return;
    }
    if (req.method === "GET" && isGeminiModelsRequest(path, fromGoogleClient)) {
      exchange.handler = "gemini";
      const body = geminiModelsBody(path, gateway.config.models);
      if (body !== undefined) return sendJson(res, 200, body);
      return sendError(res, new NotFoundError("model_not_found", "No such model."), gateway, geminiCodec("", "generateContent"));
    }
    if (path === "/v1/messages/count_tokens") {
      exchange.handler = "api";
      if (req.method !== "POST") return sendError(res, new MethodNotAllowedError(req.method ?? "", path), gateway, countTokensCodec);
      void serveApi(gateway, countTokensCodec, req, res, bodyLimits, linger, exchange);
      return;
    }
    if (serveModels(gateway, req, res, path)) {
      exchange.handler = "api";
      return;
    }
    // Clients probe the base URL before they start (Claude Code sends HEAD /).
    if ((req.method === "HEAD" || req.method === "GET") && path === "/") {
      exchange.handler = "api";
      return sendJson(res, 200, { name: "tollgate", status: "ok" });
    }
    if (metrics && req.method === "GET" && path === "/metrics") {
      exchange.handler = "metrics";
      return void metrics(req, res);
    }
    if (req.method === "GET" && (path === "/healthz" || path === "/readyz")) exchange.handler = "health";
    if (req.method === "GET" && path === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (req.method === "GET" && path === "/readyz") {
      return gateway.accepting ? sendJson(res, 200, { status: "ready" }) : sendJson(res, 503, { status: "draining" });
    }
    if (next) {
      // The host app answers (and logs) what Tollgate does not serve.
      exchange.passedOn = true;
      return next();
    }
    sendError(res, new NotFoundError("not_found", `No route for ${req.method} ${path}.`), gateway);
  };
}

/** GET /metrics in Prometheus text format, behind the admin key when `observability.metrics.auth` is "admin"; undefined when metrics are off. */
function metricsRoute(gateway: ServedGateway): ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined {
  const { metrics } = gateway.services;
  if (!metrics) return undefined;
  const auth = gateway.config.observability.metrics.auth === "admin" ? new AdminAuth(gateway.config.admin) : undefined;
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

function queryOf(url: string | undefined): string | undefined {
  const at = url?.indexOf("?") ?? -1;
  return at >= 0 ? url?.slice(at + 1) || undefined : undefined;
}

async function serveApi(
  gateway: ServedGateway,
  codec: InboundCodec,
  req: IncomingMessage,
  res: ServerResponse,
  bodyLimits: BodyLimits,
  linger: LingeringClose,
  exchange: { metered: boolean },
): Promise<void> {
  // Taken now: node detaches the socket once the response finishes (none: already gone).
  const socket = req.socket ?? res.socket;
  // A body left unread (refused before reading: no key, too large, too slow) would be parsed
  // as the next request on this connection: the connection closes once the answer is out,
  // lingering so that the client, still sending, reads the answer rather than a reset.
  // Emitted once ("close" below too): `on`, without once()'s wrapper.
  res.on("finish", () => bodyRead(req) || linger.close(socket));
  // From here the pipeline meters and logs the request, a body it refuses included.
  exchange.metered = true;
  try {
    await gateway.handle({
      codec,
      headers: req.headers,
      query: queryOf(req.url),
      // Read only once the caller is authenticated: a request without a valid key costs no body.
      body: undefined,
      readBody: () => readJsonBody(req, bodyLimits),
      sink: new NodeSink(res),
      // "close" before the answer is complete means the client went away.
      onClientGone: (cancel) => (res.destroyed ? cancel() : res.on("close", () => res.writableFinished || cancel())),
    });
  } catch (err) {
    // The pipeline renders its own errors; this is the last guard against a crash.
    if (!res.headersSent) {
      if (!bodyRead(req)) res.setHeader("connection", "close");
      sendError(res, err, gateway, codec);
    } else res.destroy();
  }
}
