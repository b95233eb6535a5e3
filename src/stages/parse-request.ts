import { checkJsonDepth } from "../json/json-depth.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { withResponseSchema } from "../structured/response-schema.js";
import type { Stage } from "./compose.js";
import type { GatewayContext } from "./context.js";

/**
 * What of the request beyond its body a same-format upstream needs as sent: Anthropic's
 * `anthropic-*` headers (`anthropic-beta` and the like; the adapter sets the version) and
 * the query (`?beta=true`).
 */
function forwardedOf(ctx: GatewayContext): NonNullable<CanonicalRequest["inbound"]["forward"]> | undefined {
  if (ctx.codec.api !== "anthropic-messages") return undefined;
  const headers: Record<string, string> = {};
  for (const name of Object.keys(ctx.headers)) {
    const value = ctx.header(name);
    if (name.startsWith("anthropic-") && name !== "anthropic-version" && value !== undefined) headers[name] = value;
  }
  const query = ctx.query;
  if (Object.keys(headers).length === 0 && !query) return undefined;
  return { headers, ...(query ? { query } : {}) };
}

/**
 * Reads the body (from the transport, now that the caller is authenticated) in the inbound API's format into the canonical request (a JSON Schema in
 * it is checked here). Upstream idempotency keys derive from the request id unless the
 * client sends an Idempotency-Key (the idempotency stage replaces it then); every request
 * built from this one for a retry or a step keeps it.
 */
export const parseRequest: Stage<GatewayContext> = async (ctx, next) => {
  const body = ctx.readBody ? await ctx.readBody() : ctx.body;
  // Before anything walks it: a body nested deeper than any real input is a 400, not a stack overflow.
  checkJsonDepth(body);
  ctx.request = withResponseSchema(ctx.codec.parseRequest(body));
  ctx.request.toolsAsParsed = { tools: ctx.request.tools };
  const forward = forwardedOf(ctx);
  if (forward) ctx.request.inbound.forward = forward;
  ctx.request.idempotencyKey = ctx.id;
  // Nothing to do after: returned, not awaited (an await here costs its promise machinery per request).
  return next();
};
