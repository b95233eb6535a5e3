/** A pipeline stage: does its work around `next()`, like Koa/Hono middleware. */
export type Stage<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;

/** Composes stages into one function; calling `next()` twice is a bug and throws. */
export function compose<C>(stages: readonly Stage<C>[]): (ctx: C) => Promise<void> {
  return (ctx) => {
    let last = -1;
    const run = (i: number): Promise<void> => {
      if (i <= last) return Promise.reject(new Error("next() called more than once"));
      last = i;
      const stage = stages[i];
      return stage ? stage(ctx, () => run(i + 1)) : Promise.resolve();
    };
    return run(0);
  };
}
