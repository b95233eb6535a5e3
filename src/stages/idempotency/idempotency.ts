import type { ResolvedIdempotency } from "../../config/resolve.js";
import { GatewayError } from "../../errors/gateway-error.js";
import { IdempotencyInProgressError, IdempotencyKeyReusedError, IdempotencyUnavailableError } from "../../errors/idempotency-errors.js";
import { parseIdempotencyKey, requestFingerprint, scopedKey, scopeOf } from "../../idempotency/idempotency-key.js";
import { answerToStore, rejectionToStore, replayOf } from "./stored-outcome.js";
import type { IdempotencyStore, KeyWatch, StoredReplay } from "../../idempotency/types.js";
import { AnswerRecorder } from "../../engine/answer-recorder.js";
import type { Stage } from "../compose.js";
import type { RoutedContext } from "../context.js";
import { relayHeld } from "../relay.js";

/** A waiting duplicate looks at the key at least this often: a holder that died sends no wake-up, its lease just lapses. */
const RECHECK_MS = 500;

export interface IdempotencyOptions {
  store: IdempotencyStore;
  config: ResolvedIdempotency;
  log: (message: string) => void;
}

type Claimed = { state: "acquired" } | { state: "done"; replay: StoredReplay };

/**
 * `Idempotency-Key` (docs/caching.md#idempotency-key): the first request with a key runs
 * and its complete answer is kept; a duplicate waits for it (or gets 409), a later one gets
 * the answer replayed without an upstream call, budget or bill; another body gets 422.
 * Sits before enforceBudgets, so a replay reserves nothing.
 */
export function idempotency(options: IdempotencyOptions): Stage<RoutedContext> {
  // Not async around requests without a key (nearly all): an async function costs its promise machinery per request.
  return (ctx, next) => {
    const header = ctx.headers["idempotency-key"];
    return header === undefined ? next() : keyed(ctx, next, options, header);
  };
}

async function keyed(ctx: RoutedContext, next: () => Promise<void>, options: IdempotencyOptions, header: string | string[]): Promise<void> {
  const request = ctx.request;
  const key = scopedKey(scopeOf(ctx.identity, options.config.scope), parseIdempotencyKey(header));
  // Upstream keys derive from the client's: a retry after Tollgate itself failed sends the same ones.
  request.idempotencyKey = key;
  const claimed = await claim(ctx, options, key, requestFingerprint(request.inbound));
  if (claimed.state === "done") return replay(ctx, claimed.replay);
  await runFirst(ctx, next, options, key);
}

async function claim(ctx: RoutedContext, { store, config }: IdempotencyOptions, key: string, fingerprint: string): Promise<Claimed> {
  const deadline = Date.now() + config.waitTimeoutMs;
  let watch: KeyWatch | undefined;
  try {
    for (;;) {
      const found = await guarded(() => store.begin(key, ctx.id, fingerprint, config.leaseMs));
      if (found.state === "acquired") return found;
      if (found.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
      if (found.state === "done") return found;
      if (config.onConcurrent === "conflict") throw new IdempotencyInProgressError(0);
      if (!watch) {
        // Listen first, then look again: a completion in between is not missed.
        watch = await guarded(() => store.watch(key));
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new IdempotencyInProgressError(config.waitTimeoutMs);
      await watch.changed(Math.min(remaining, RECHECK_MS), ctx.signal);
    }
  } finally {
    watch?.close();
  }
}

/** Runs the request holding the key (its lease renewed meanwhile), then keeps its answer or frees the key. */
async function runFirst(ctx: RoutedContext, next: () => Promise<void>, { store, config, log }: IdempotencyOptions, key: string): Promise<void> {
  const renewal = setInterval(
    () => {
      store.renew(key, ctx.id, config.leaseMs).then(
        (held) => {
          if (!held) log(`idempotency: request ${ctx.id} lost its key's lease; a duplicate may run again`);
        },
        (err: unknown) => log(`idempotency: renewing ${ctx.id}'s lease failed: ${ctx.services.redactor.redact(String(err))}`),
      );
    },
    Math.floor(config.leaseMs / 3),
  );
  renewal.unref();
  // Shared with any other stage that keeps the answer (the cache).
  ctx.recorder ??= new AnswerRecorder();
  let stored: StoredReplay | undefined;
  try {
    await next();
    stored = answerToStore(ctx);
  } catch (err) {
    stored = rejectionToStore(ctx, err);
    throw err;
  } finally {
    clearInterval(renewal);
    await settle(store, key, ctx.id, stored, config.retentionMs).then(
      (kept) => {
        if (!kept) log(`idempotency: request ${ctx.id}'s lease had lapsed; its answer was not kept`);
      },
      (err: unknown) => log(`idempotency: settling ${ctx.id}'s key failed (it frees itself when the lease lapses): ${ctx.services.redactor.redact(String(err))}`),
    );
  }
}

/** Keeps the answer or frees the key; false when the lease had lapsed (another run may hold the key now). */
async function settle(store: IdempotencyStore, key: string, owner: string, stored: StoredReplay | undefined, retentionMs: number): Promise<boolean> {
  if (!stored) {
    await store.release(key, owner);
    return true;
  }
  return store.complete(key, owner, stored, retentionMs);
}

/** The stored answer, relayed without an upstream call: a ledger record with no attempts, no cost, and the cost it saved. */
async function replay(ctx: RoutedContext, stored: StoredReplay): Promise<void> {
  ctx.cache = { kind: "idempotent", savedNanos: stored.costNanos, ageMs: Math.max(0, Date.now() - stored.completedAt) };
  Object.assign(ctx.responseHeaders, { "idempotent-replayed": "true", "x-tollgate-cache": "idempotent-replay", "x-tollgate-original-request-id": stored.requestId });
  await relayHeld(ctx, replayOf(ctx, stored.outcome));
}

/** A store that cannot answer: 503, since running without the key could bill twice. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof GatewayError ? err : new IdempotencyUnavailableError(err);
  }
}
