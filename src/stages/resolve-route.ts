import { checkProviderOnly } from "./provider-only.js";
import { findRoute, targetsFor } from "../config/route-match.js";
import { InvalidRequestError, NotFoundError, PermissionDeniedError } from "../errors/gateway-error.js";
import type { Stage } from "./compose.js";
import { promptTokens } from "./prompt-tokens.js";
import type { ParsedContext } from "./context.js";

/** Maps the requested model name to a configured route, and rejects what cannot fit it. */
export const resolveRoute: Stage<ParsedContext> = (ctx, next) => {
  const request = ctx.request;
  const models = ctx.services.config.models;
  const found = findRoute(models, request.model);
  if (!found) {
    throw new NotFoundError("model_not_found", `The model "${request.model}" does not exist. Available: ${Object.keys(ctx.services.config.models).join(", ")}.`, { param: "model" });
  }
  const targets = targetsFor(found, request.model);
  const route = targets === found.targets ? found : { ...found, targets };
  const allowed = ctx.identity?.allowedModels;
  if (allowed && !allowed.includes(route.name)) {
    throw new PermissionDeniedError("model_not_allowed", `This key may not use "${route.name}". Allowed: ${allowed.join(", ") || "none"}.`, { param: "model" });
  }
  if (route.maxOutputTokens !== undefined && request.maxOutputTokens !== undefined && request.maxOutputTokens > route.maxOutputTokens) {
    throw new InvalidRequestError("max_tokens_exceeded", `max_tokens ${request.maxOutputTokens} exceeds the limit of ${route.maxOutputTokens} for "${route.name}".`, { param: "max_tokens" });
  }
  if (request.embedding) {
    // Every target must be able to embed, or a fallback would fail for a reason retrying cannot fix.
    const unable = route.targets.filter((t) => !ctx.services.providers.get(t.provider)?.adapter.buildEmbeddingRequest);
    if (unable.length > 0) {
      const names = unable.map((t) => `${t.provider}/${t.model} (${ctx.services.providers.get(t.provider)?.type ?? "unknown"})`).join(", ");
      throw new InvalidRequestError(
        "embeddings_not_supported",
        `The model "${route.name}" cannot serve embeddings: its target${unable.length > 1 ? "s" : ""} ${names} do${unable.length > 1 ? "" : "es"} not embed.`,
        { param: "model" },
      );
    }
  }
  // A context window bounds each embeddings input, not a batch of them: the provider checks those.
  if (route.contextWindow !== undefined && !request.embedding) {
    const needed = promptTokens(ctx) + (request.maxOutputTokens ?? 0);
    if (needed > route.contextWindow) {
      throw new InvalidRequestError("context_length_exceeded", `This request needs ${needed} tokens (prompt + max_tokens) but "${route.name}" has a context window of ${route.contextWindow}.`, {
        param: "messages",
      });
    }
  }
  checkProviderOnly(ctx, route);
  ctx.route = route;
  return next();
};
