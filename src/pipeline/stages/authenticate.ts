import { AuthenticationError } from "../../errors/gateway-error.js";
import type { StaticKeys } from "../../auth/static-keys.js";
import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";

const ANONYMOUS = Object.freeze({ keyId: "anonymous" });

function bearer(ctx: GatewayContext): string | undefined {
  const auth = ctx.header("authorization");
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer ") return auth.slice(7).trim();
  return undefined;
}

/** Establishes who is calling: the host app's hook when mounted as a library, else the configured keys. */
export function authenticate(keys: StaticKeys): Stage<GatewayContext> {
  return async (ctx, next) => {
    const identify = ctx.services.identify;
    if (identify) {
      const identity = await identify({ headers: ctx.headers });
      if (!identity) throw new AuthenticationError("invalid_api_key", "The host application did not accept this caller.");
      ctx.identity = identity;
    } else if (keys.open) {
      ctx.identity = ANONYMOUS;
    } else {
      const presented = bearer(ctx);
      if (!presented) throw new AuthenticationError("missing_api_key", "Missing API key: send Authorization: Bearer <key>.");
      const identity = keys.verify(presented);
      if (!identity) throw new AuthenticationError("invalid_api_key", "Invalid API key.");
      ctx.identity = identity;
    }
    await next();
  };
}
