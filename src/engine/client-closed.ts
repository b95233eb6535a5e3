import { GatewayError } from "../errors/gateway-error.js";

/** The client went away; nothing is rendered, the upstream is aborted. 499 as nginx logs it. */
export class ClientClosedError extends GatewayError {
  constructor() {
    super("client_closed_request", "The client closed the connection.");
  }
}
