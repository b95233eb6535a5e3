import { withResponseSchema } from "../../structured/response-schema.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";

/** Reads the body in the inbound API's format into the canonical request (a JSON Schema in it is checked here). */
export const parseRequest: Stage<GatewayContext> = async (ctx, next) => {
  ctx.request = withResponseSchema(ctx.codec.parseRequest(ctx.body));
  await next();
};
