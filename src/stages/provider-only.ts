import type { ResolvedRoute } from "../config/resolve.js";
import { InvalidRequestError } from "../errors/gateway-error.js";
import type { ParsedContext } from "./context.js";

/**
 * Built-in tools and provider features (web search, MCP, context management, ...) reach
 * a target that speaks the client's API as sent. A target that translates cannot run
 * them: the route refuses the request (400, before any call) or drops them, and the
 * answer's `x-tollgate-dropped` names them (dispatch.ts) (`unsupportedTools: refuse | drop`).
 */
export function checkProviderOnly(ctx: ParsedContext, route: ResolvedRoute): void {
  const { request } = ctx;
  const only = request.providerOnly;
  if (!only?.length) return;
  const translating = route.targets.filter((t) => ctx.services.providers.get(t.provider)?.adapter.nativeApi !== request.inbound.api);
  if (translating.length === 0 || route.unsupportedTools === "drop") return;
  const targets = translating.map((t) => `${t.provider}/${t.model}`).join(", ");
  throw new InvalidRequestError(
    "unsupported_tool_type",
    `Tool types not supported by ${targets}: ${only.join(", ")}. Only the provider of this API runs them; Tollgate forwards them to targets that speak it. Set unsupportedTools: drop on route "${route.name}" to send the request without them.`,
    { param: "tools" },
  );
}
