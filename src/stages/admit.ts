import { ShuttingDownError } from "../errors/gateway-error.js";
import type { Stage } from "./compose.js";
import type { GatewayContext } from "./context.js";

/** Refuses new requests once the gateway drains for shutdown. */
export function admit(accepting: () => boolean): Stage<GatewayContext> {
  return (_ctx, next) => {
    if (!accepting()) throw new ShuttingDownError();
    return next();
  };
}
