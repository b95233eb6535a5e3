import { describe, expect, test } from "vitest";
import { GatewayError } from "../errors/gateway-error.js";
import { compose, phase, type Stage } from "./compose.js";

interface Ctx {
  log: string[];
  ready?: string;
}
type Ready = Ctx & { ready: string };

const named =
  (name: string): Stage<Ctx> =>
  async (ctx, next) => {
    ctx.log.push(`${name}>`);
    await next();
    ctx.log.push(`<${name}`);
  };

describe("compose", () => {
  test("runs stages outermost first, each around the rest", async () => {
    const ctx: Ctx = { log: [] };
    await compose([named("a"), named("b")])(ctx);
    expect(ctx.log).toEqual(["a>", "b>", "<b", "<a"]);
  });

  test("a stage calling next() twice is a bug, reported as such", async () => {
    const twice: Stage<Ctx> = async (_ctx, next) => {
      await next();
      await next();
    };
    await expect(compose([twice, named("b")])({ log: [] })).rejects.toThrow("next() called more than once");
  });

  test("a stage that is not async and throws rejects the chain as an async one would, so the stages around it see the error", async () => {
    const ctx: Ctx = { log: [] };
    const refuses: Stage<Ctx> = () => {
      throw new Error("refused");
    };
    const catches: Stage<Ctx> = async (c, next) => {
      await next().catch((err: Error) => c.log.push(`caught ${err.message}`));
    };
    const passes: Stage<Ctx> = (c, next) => {
      c.log.push("passes");
      return next();
    };
    await compose<Ctx>([catches, passes, refuses, named("never")])(ctx);
    expect(ctx.log).toEqual(["passes", "caught refused"]);
  });

  test("a stage that does not call next() ends the chain there", async () => {
    const ctx: Ctx = { log: [] };
    await compose<Ctx>([named("a"), async (c) => void c.log.push("answered"), named("never")])(ctx);
    expect(ctx.log).toEqual(["a>", "answered", "<a"]);
  });
});

describe("phase", () => {
  const isReady = (ctx: Ctx): ctx is Ready => ctx.ready !== undefined;
  const sees: Stage<Ready> = async (ctx, next) => {
    // Typed as set: no assertion needed.
    ctx.log.push(`ready=${ctx.ready.toUpperCase()}`);
    await next();
  };

  test("its stages run nested in the outer chain, and the outer stages after it still run", async () => {
    const ctx: Ctx = { log: [], ready: "yes" };
    await compose<Ctx>([named("outer"), phase("ready", isReady, [sees, named("inner")]), named("after")])(ctx);
    expect(ctx.log).toEqual(["outer>", "ready=YES", "inner>", "after>", "<after", "<inner", "<outer"]);
  });

  test("run before its inputs are set, it fails as the gateway's own bug (500), not a crash on undefined", async () => {
    const run = compose<Ctx>([phase("ready", isReady, [sees])]);
    const err = await run({ log: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 500, code: "internal_error" });
  });
});
