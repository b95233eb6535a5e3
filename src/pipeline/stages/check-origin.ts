import { PermissionDeniedError } from "../../errors/gateway-error.js";
import { corsHeaders, gatewayAllowsOrigin, isSameOrigin } from "../../cors/origins.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";

/**
 * A key's own browser origins (`allowed_origins`), checked once the key is known: a page on
 * one of them may read the answer; a page on another origin is refused before anything is
 * spent. Origins the gateway allows (`server.cors.origins`) were answered by the transport.
 */
export function checkOrigin(origins: readonly string[]): Stage<GatewayContext> {
  return async (ctx, next) => {
    const origin = ctx.header("origin");
    const allowed = ctx.identity?.allowedOrigins;
    if (origin === undefined || allowed === undefined || gatewayAllowsOrigin(origins, origin) || isSameOrigin(origin, ctx.header("host"))) return next();
    if (!allowed.includes(origin)) {
      throw new PermissionDeniedError("origin_not_allowed", `This key may not be used from the origin ${origin.slice(0, 200)}.`, { param: "origin" });
    }
    Object.assign(ctx.responseHeaders, corsHeaders(origin));
    await next();
  };
}
