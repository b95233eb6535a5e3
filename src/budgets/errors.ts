import { GatewayError } from "../errors/gateway-error.js";

/** Budgets are enforced by a shared store that cannot be reached, and the gateway fails closed. */
export class BudgetStoreUnavailableError extends GatewayError {
  constructor(cause: unknown) {
    super("budget_store_unavailable", "Budgets cannot be checked right now; retry shortly.", { cause, retryAfterSeconds: 1 });
  }
}
