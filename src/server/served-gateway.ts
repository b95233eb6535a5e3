import type { ResolvedConfig } from "../config/resolve.js";
import type { InboundRequest } from "../stages/inbound-request.js";
import type { GatewayServices } from "../stages/context.js";

/** What the HTTP transport needs of a gateway: its config and services, whether it takes requests, and the pipeline. */
export interface ServedGateway {
  readonly config: ResolvedConfig;
  readonly services: GatewayServices;
  readonly accepting: boolean;
  handle(request: InboundRequest): Promise<unknown>;
}
