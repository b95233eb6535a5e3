import { GatewayError } from "./gateway-error.js";

/** POST /admin/alerts with the id of a rule that exists (in config or stored). */
export class AlertRuleExistsError extends GatewayError {
  constructor(id: string) {
    super("alert_rule_exists", `An alert rule with id "${id}" already exists.`, { param: "id" });
  }
}
