import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResolvedRoute } from "../config/resolve.js";
import { findRoute } from "../config/route-match.js";
import { toAnthropicErrorBody } from "../apis/anthropic-messages/error-body.js";
import { NotFoundError } from "../errors/gateway-error.js";
import { renderError } from "../errors/render.js";
import type { ServedGateway } from "./served-gateway.js";

type Json = Record<string, unknown>;

/** Anthropic's clients send `anthropic-version` on every call: they get Anthropic's shapes. */
function wantsAnthropic(req: IncomingMessage): boolean {
  return typeof req.headers["anthropic-version"] === "string";
}

function openaiModel(id: string, route: ResolvedRoute): Json {
  return {
    id,
    object: "model",
    created: 0,
    owned_by: "tollgate",
    ...(route.description ? { description: route.description } : {}),
    ...(route.contextWindow ? { context_window: route.contextWindow } : {}),
    ...(route.maxOutputTokens ? { max_output_tokens: route.maxOutputTokens } : {}),
  };
}

function anthropicModel(id: string): Json {
  return { type: "model", id, display_name: id, created_at: "1970-01-01T00:00:00Z" };
}

/** A path segment decoded; as sent when its escapes are malformed. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * GET /v1/models and /v1/models/{id}: the routes (and any name a route's alias pattern
 * matches), in OpenAI's list shape, or Anthropic's when the request carries
 * `anthropic-version`. Returns false for any other request.
 */
export function serveModels(gateway: ServedGateway, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (req.method !== "GET" || (path !== "/v1/models" && !path.startsWith("/v1/models/"))) return false;
  const models = gateway.config.models;
  const anthropic = wantsAnthropic(req);
  if (path === "/v1/models") {
    const routes = Object.values(models);
    const data = routes.map((r) => (anthropic ? anthropicModel(r.name) : openaiModel(r.name, r)));
    send(res, 200, anthropic ? { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null } : { object: "list", data });
    return true;
  }
  const id = decoded(path.slice("/v1/models/".length));
  const route = findRoute(models, id);
  if (route) {
    send(res, 200, anthropic ? anthropicModel(id) : openaiModel(id, route));
    return true;
  }
  const rendered = renderError(new NotFoundError("model_not_found", `The model "${id}" does not exist.`, { param: "model" }), gateway.services.redactor);
  send(res, 404, anthropic ? toAnthropicErrorBody(rendered) : rendered.body);
  return true;
}
