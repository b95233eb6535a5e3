import type { RouteCacheConfig } from "../config/schema.js";
import { AnswerRecorder, replayAnswer } from "../pipeline/answer-recorder.js";
import type { Stage } from "../pipeline/compose.js";
import type { GatewayContext, RequestRecord } from "../pipeline/context.js";
import { finalUsage } from "../pipeline/final-usage.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { cacheDirective, type CacheDirective } from "./cache-control.js";
import { exactKey, lastUserText, semanticPartition } from "./cache-key.js";
import { embedText, type Embedded } from "./embed-text.js";
import type { CacheHit, ResponseCache } from "./response-cache.js";
import { tenantOf } from "./tenant.js";

type SemanticConfig = NonNullable<RouteCacheConfig["semantic"]>;

/** What the cache decided for one request, shared by its two stages. */
interface CachePlan {
  config: RouteCacheConfig;
  directive: CacheDirective;
  tenant: string;
  key: string;
  /** Set once the semantic stage embedded the last user turn: indexed with the answer. */
  semantic?: { partition: string; embedded: Embedded; ttlMs: number };
}

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
 * The response cache as two stages (docs/caching.md): `lookup` sits before the budgets
 * (an exact hit reserves nothing and counts toward no limit) and stores the answer after
 * the relay; `semantic` sits after them, since its embedding is a metered call that an
 * exhausted budget must not pay for. Either answers a hit by relaying the stored answer
 * itself; a miss goes on to dispatch.
 */
export function cacheStages(cache: ResponseCache, relay: Stage<GatewayContext>): { lookup: Stage<GatewayContext>; semantic: Stage<GatewayContext> } {
  const plans = new WeakMap<GatewayContext, CachePlan>();

  async function serve(ctx: GatewayContext, hit: CacheHit, cached: Omit<NonNullable<RequestRecord["cache"]>, "savedNanos" | "ageMs">): Promise<void> {
    const { entry, ageMs } = hit;
    ctx.cache = { ...cached, savedNanos: entry.costNanos, ageMs };
    ctx.responseHeaders["x-tollgate-cache"] = cached.kind === "semantic" ? "semantic-hit" : "hit";
    ctx.responseHeaders.age = String(Math.floor(ageMs / 1000));
    if (cached.similarity !== undefined) ctx.responseHeaders["x-tollgate-cache-similarity"] = cached.similarity.toFixed(4);
    const upstream = (ctx.upstream = replayAnswer(ctx.request!, entry.answer, ctx.signal));
    try {
      await relay(ctx, async () => {});
    } finally {
      if (upstream.kind === "stream") upstream.stream.dispose();
    }
  }

  /** Stores a complete answer (and its vector); a failure is logged by the cache, never the request's. */
  async function store(ctx: GatewayContext, plan: CachePlan, recorder: AnswerRecorder): Promise<void> {
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

  const lookup: Stage<GatewayContext> = async (ctx, next) => {
    const request = ctx.request!;
    const config = ctx.route!.cache;
    if (!config || request.embedding) return next();
    const directive = cacheDirective(ctx.header("cache-control"));
    const tenant = tenantOf(ctx.identity!, cache.scope);
    const plan: CachePlan = { config, directive, tenant, key: exactKey(tenant, ctx.route!.name, request) };
    plans.set(ctx, plan);
    ctx.responseHeaders["x-tollgate-cache"] = directive.read ? "miss" : "bypass";
    if (config.exact && directive.read) {
      const hit = await cache.get(plan.key, Math.min(directive.maxAgeMs ?? Infinity, config.exact.ttlMs));
      if (hit) return serve(ctx, hit, { kind: "exact" });
    }
    if (!directive.write) return next();
    // Another stage (idempotency) may already keep the answer: one recorder serves both.
    const recorder = (ctx.recorder ??= new AnswerRecorder());
    await next();
    // The client has its whole answer by now: storing is off its critical path.
    await store(ctx, plan, recorder);
  };

  const semantic: Stage<GatewayContext> = async (ctx, next) => {
    const plan = plans.get(ctx);
    const config = plan?.config.semantic;
    if (!plan || !config || !plan.directive.write || !semanticEligible(ctx.request!, config)) return next();
    let embedded: Embedded;
    try {
      embedded = await embedText(ctx, config.embeddingRoute, lastUserText(ctx.request!)!);
    } catch (err) {
      // The client left: nothing more to do. Anything else only costs the semantic lookup.
      if (ctx.signal.aborted) throw err;
      cache.log(ctx.services.redactor.redact(`cache: embedding through "${config.embeddingRoute}" failed, the semantic cache is skipped: ${(err as Error).message}`));
      return next();
    }
    plan.semantic = { partition: semanticPartition(plan.tenant, ctx.route!.name, ctx.request!), embedded, ttlMs: config.ttlMs };
    if (plan.directive.read) {
      const match = await cache.nearest(plan.semantic.partition, embedded.vector, config.threshold);
      const hit = match && (await cache.get(match.ref, Math.min(plan.directive.maxAgeMs ?? Infinity, plan.semantic.ttlMs)));
      if (hit) return serve(ctx, hit, { kind: "semantic", similarity: match.similarity });
    }
    await next();
  };

  return { lookup, semantic };
}
