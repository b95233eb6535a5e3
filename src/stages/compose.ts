import { InternalError } from "../errors/gateway-error.js";

/** A pipeline stage: does its work around `next()`, like Koa/Hono middleware. One that only works before `next()` need not be async: it may throw and `return next()` (compose turns a throw into a rejection). */
export type Stage<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;

const done = () => Promise.resolve();

/** Composes stages into one; after the last, `next` of the stage that runs the composition. Calling `next()` twice is a bug and throws. */
export function compose<C>(stages: readonly Stage<C>[]): (ctx: C, last?: () => Promise<void>) => Promise<void> {
  return (ctx, last = done) => {
    let latest = -1;
    const run = (i: number): Promise<void> => {
      if (i <= latest) return Promise.reject(new Error("next() called more than once"));
      latest = i;
      const stage = stages[i];
      if (!stage) return last();
      try {
        return stage(ctx, () => run(i + 1));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return run(0);
  };
}

/**
 * The stages that run once earlier ones set what `ready` checks: they see those fields typed
 * as set (Hono's typed context), checked here once instead of asserted in each stage.
 */
export function phase<C, D extends C>(name: string, ready: (ctx: C) => ctx is D, stages: readonly Stage<D>[]): Stage<C> {
  const run = compose(stages);
  return (ctx, next) => (ready(ctx) ? run(ctx, next) : Promise.reject(new InternalError(new Error(`The ${name} stages ran before their inputs were set.`))));
}
