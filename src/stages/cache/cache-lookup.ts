import { AnswerRecorder, replayAnswer } from "../../engine/answer-recorder.js";
import type { RequestRecord } from "../../spec/request-record.js";
import { cacheDirective } from "../../cache/cache-control.js";
import { exactKey } from "../../cache/cache-key.js";
import type { CacheHit, ResponseCache } from "../../cache/response-cache.js";
import { tenantOf } from "../../cache/tenant.js";
import type { CachePlan } from "../cache-plan.js";
import type { Stage } from "../compose.js";
import type { RoutedContext } from "../context.js";
import { finalUsage } from "../final-usage.js";
import { relayHeld } from "../relay.js";

/** Answers a hit with the stored answer, relayed like a live one. */
export function serveHit(ctx: RoutedContext, hit: CacheHit, cached: Omit<NonNullable<RequestRecord["cache"]>, "savedNanos" | "ageMs">): Promise<void> {
  const { entry, ageMs } = hit;
  ctx.cache = { ...cached, savedNanos: entry.costNanos, ageMs };
  ctx.responseHeaders["x-tollgate-cache"] = cached.kind === "semantic" ? "semantic-hit" : "hit";
  ctx.responseHeaders.age = String(Math.floor(ageMs / 1000));
  if (cached.similarity !== undefined) ctx.responseHeaders["x-tollgate-cache-similarity"] = cached.similarity.toFixed(4);
  return relayHeld(ctx, replayAnswer(ctx.request, entry.answer, ctx.signal));
}

/** Stores a complete answer (and its vector); a failure is logged by the cache, never the request's. */
async function store(cache: ResponseCache, ctx: RoutedContext, plan: CachePlan, recorder: AnswerRecorder): Promise<void> {
  const answer = recorder.answer(ctx.upstream);
  if (!answer || ctx.cache) return;
  const exactTtl = plan.config.exact ? plan.config.exact.ttlMs : 0;
  const ttlMs = Math.max(exactTtl, plan.semantic?.ttlMs ?? 0);
  if (ttlMs === 0) return;
  // What the answer cost, without the embedding that looked for it.
  const costNanos = (finalUsage(ctx)?.costNanos ?? 0) - (plan.semantic?.embedded.attempt.costNanos ?? 0);
  const createdAt = cache.now();
  const stored = await cache.put(plan.key, { answer, costNanos, createdAt }, ttlMs);
  if (stored && plan.semantic) await cache.index(plan.semantic.partition, plan.semantic.embedded.vector, plan.key, createdAt + plan.semantic.ttlMs);
}

/**
 * The response cache's exact stage (docs/caching.md): before the budgets, so an exact hit
 * reserves nothing and counts toward no limit; after the relay it stores the answer. It
 * leaves its plan on the context for the semantic stage (cache-semantic.ts).
 */
export function cacheLookup(cache: ResponseCache): Stage<RoutedContext> {
  return async (ctx, next) => {
    const { request, route } = ctx;
    const config = route.cache;
    if (!config || request.embedding) return next();
    const directive = cacheDirective(ctx.header("cache-control"));
    const tenant = tenantOf(ctx.identity, cache.scope);
    const plan: CachePlan = { config, directive, tenant, key: exactKey(tenant, route.name, request) };
    ctx.cachePlan = plan;
    ctx.responseHeaders["x-tollgate-cache"] = directive.read ? "miss" : "bypass";
    if (config.exact && directive.read) {
      const hit = await cache.get(plan.key, Math.min(directive.maxAgeMs ?? Infinity, config.exact.ttlMs));
      if (hit) return serveHit(ctx, hit, { kind: "exact" });
    }
    if (!directive.write) return next();
    // Another stage (idempotency) may already keep the answer: one recorder serves both.
    const recorder = (ctx.recorder ??= new AnswerRecorder());
    await next();
    // The client has its whole answer by now: storing is off its critical path.
    await store(cache, ctx, plan, recorder);
  };
}
