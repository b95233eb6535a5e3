import { PermissionDeniedError } from "../errors/gateway-error.js";
import { corsHeaders, gatewayAllowsOrigin, isSameOrigin } from "../cors/origins.js";
import type { Stage } from "./compose.js";
import type { GatewayContext } from "./context.js";

/**
 * A browser page on another origin, checked once the key is known. Origins the gateway
 * allows (`server.cors.origins`) were answered by the transport; a key's own origins
 * (`allowed_origins`) may read the answer too. Any other origin is refused before anything
 * is spent, once CORS is configured at all (with none, a host app mounting the gateway
 * keeps its own CORS handling).
 */
export function checkOrigin(origins: readonly string[]): Stage<GatewayContext> {
  return (ctx, next) => {
    const origin = ctx.header("origin");
    if (origin === undefined || gatewayAllowsOrigin(origins, origin) || isSameOrigin(origin, ctx.header("host"))) return next();
    const allowed = ctx.identity?.allowedOrigins;
    if (allowed?.includes(origin)) {
      Object.assign(ctx.responseHeaders, corsHeaders(origin));
      return next();
    }
    if (allowed !== undefined || origins.length > 0) {
      throw new PermissionDeniedError("origin_not_allowed", `Requests from the origin ${origin.slice(0, 200)} are not allowed with this key.`, { param: "origin" });
    }
    return next();
  };
}
