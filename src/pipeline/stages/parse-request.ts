import { withResponseSchema } from "../../structured/response-schema.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";

/**
 * Reads the body in the inbound API's format into the canonical request (a JSON Schema in
 * it is checked here). Upstream idempotency keys derive from the request id unless the
 * client sends an Idempotency-Key (the idempotency stage replaces it then); every request
 * built from this one for a retry or a step keeps it.
 */
export const parseRequest: Stage<GatewayContext> = async (ctx, next) => {
  ctx.request = withResponseSchema(ctx.codec.parseRequest(ctx.body));
  ctx.request.idempotencyKey = ctx.id;
  await next();
};
