import { checkJsonDepth } from "../../apis/json-depth.js";
import { withResponseSchema } from "../../structured/response-schema.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";

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
  ctx.request.idempotencyKey = ctx.id;
  await next();
};
