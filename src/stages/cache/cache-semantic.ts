import type { RouteCacheConfig } from "../../config/schema.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { lastUserText, semanticPartition } from "../../cache/cache-key.js";
import type { ResponseCache } from "../../cache/response-cache.js";
import type { Stage } from "../compose.js";
import type { RoutedContext } from "../context.js";
import { serveHit } from "./cache-lookup.js";
import type { Embedded } from "../cache-plan.js";
import { embedText } from "./embed-text.js";

type SemanticConfig = NonNullable<RouteCacheConfig["semantic"]>;

/**
 * Whether a request may use the semantic cache: no tools (unless allowed), sampled no
 * hotter than the bound (unset counts as 1, most providers' default), one choice, and a
 * last turn of user text to embed.
 */
function semanticEligible(request: CanonicalRequest, config: SemanticConfig): boolean {
  if (request.tools?.length && !config.allowTools) return false;
  if ((request.temperature ?? 1) > config.maxTemperature) return false;
  if ((request.n ?? 1) > 1) return false;
  return lastUserText(request) !== undefined;
}

/**
 * The semantic cache's stage: after the budgets, since its embedding is a metered call an
 * exhausted budget must not pay for. It reads the plan the lookup stage left; a miss goes on.
 */
export function cacheSemantic(cache: ResponseCache): Stage<RoutedContext> {
  return async (ctx, next) => {
    const plan = ctx.cachePlan;
    const config = plan?.config.semantic;
    const text = lastUserText(ctx.request);
    if (!plan || !config || !plan.directive.write || !semanticEligible(ctx.request, config) || text === undefined) return next();
    let embedded: Embedded;
    try {
      embedded = await embedText(ctx, config.embeddingRoute, text);
    } catch (err) {
      // The client left: nothing more to do. Anything else only costs the semantic lookup.
      if (ctx.signal.aborted) throw err;
      cache.log(ctx.services.redactor.redact(`cache: embedding through "${config.embeddingRoute}" failed, the semantic cache is skipped: ${(err as Error).message}`));
      return next();
    }
    plan.semantic = { partition: semanticPartition(plan.tenant, ctx.route.name, ctx.request), embedded, ttlMs: config.ttlMs };
    if (plan.directive.read) {
      const match = await cache.nearest(plan.semantic.partition, embedded.vector, config.threshold);
      const hit = match && (await cache.get(match.ref, Math.min(plan.directive.maxAgeMs ?? Infinity, plan.semantic.ttlMs)));
      if (hit) return serveHit(ctx, hit, { kind: "semantic", similarity: match.similarity });
    }
    await next();
  };
}
