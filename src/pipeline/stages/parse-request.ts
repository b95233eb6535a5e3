import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";

/** Reads the body in the inbound API's format into the canonical request. */
export const parseRequest: Stage<GatewayContext> = async (ctx, next) => {
  ctx.request = ctx.codec.parseRequest(ctx.body);
  await next();
};
