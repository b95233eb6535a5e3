import { GatewayError, InvalidRequestError } from "./gateway-error.js";

/** An MCP server a route's tools come from could not be reached or listed. */
export class ToolServerUnavailableError extends GatewayError {
  constructor(server: string, message: string) {
    super("tool_server_unavailable", `MCP server "${server}" is unavailable: ${message}`);
  }
}

/** The model still asked for server tools on the last step the route allows (sent with tool_choice "none"). */
export class ToolLoopExhaustedError extends GatewayError {
  constructor(maxSteps: number) {
    super("tool_loop_exhausted", `The model kept calling tools after ${maxSteps} steps, the route's toolLoop.maxSteps.`, { details: { maxSteps } });
  }
}

/** The client sent a tool with the name of one of the route's server tools. */
export class ToolNameConflictError extends InvalidRequestError {
  constructor(name: string) {
    super("tool_name_conflict", `The tool "${name}" is provided by the gateway on this model; rename yours.`, { param: "tools" });
  }
}
