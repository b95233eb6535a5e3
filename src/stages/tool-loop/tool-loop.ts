import { InvalidRequestError } from "../../errors/gateway-error.js";
import { builtAnswer } from "../../engine/built-answer.js";
import type { Stage } from "../compose.js";
import type { RoutedContext } from "../context.js";
import { completeStep } from "../../engine/open-answer.js";
import { setDroppedHeader } from "../dispatch.js";
import { adapterFor } from "../../providers/provider.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { LoopRun, totalUsage } from "./loop-run.js";
import { LoopStream, openStreamedStep } from "./loop-stream.js";

/** The final answer for the client: only the calls to its own tools, and the usage of every step. */
function finalResponse(ctx: RoutedContext, run: LoopRun, response: CanonicalResponse): CanonicalResponse {
  const choices = response.choices.map((c) => {
    const calls = run.clientCalls(c.toolCalls ?? []);
    const { toolCalls: _dropped, ...rest } = c;
    return calls.length > 0 ? { ...rest, toolCalls: calls } : rest;
  });
  const usage = totalUsage(ctx);
  return { ...response, choices, ...(usage ? { usage } : {}) };
}

/** A non-streaming client: every step is one complete call; the answer is built once the loop ends. */
async function completeLoop(ctx: RoutedContext, run: LoopRun): Promise<CanonicalResponse> {
  for (;;) {
    const response = await completeStep(ctx, await run.stepRequest(false), ctx.route);
    const choice = response.choices[0];
    const calls = choice?.toolCalls ?? [];
    if (run.isFinal(calls)) return finalResponse(ctx, run, response);
    await run.runTools(calls, choice?.text ?? null);
  }
}

/**
 * The tool loop stage (between enforceBudgets and dispatch): on a route with server-side
 * tools it produces the answer itself and dispatch relays it; other requests pass through.
 * A streaming client gets every step live (loop-stream.ts), the first one opened here,
 * before any byte is sent, so that its failure is still a proper HTTP error.
 */
export const toolLoop: Stage<RoutedContext> = (ctx, next) => (ctx.route.tools && !ctx.request.embedding ? loop(ctx, ctx.route.tools, next) : next());

async function loop(ctx: RoutedContext, tools: NonNullable<RoutedContext["route"]["tools"]>, next: () => Promise<void>): Promise<void> {
  const route = ctx.route;
  const request = ctx.request;
  if ((request.n ?? 1) > 1) throw new InvalidRequestError("unsupported_parameter", "n > 1 is not supported on a model with server-side tools.", { param: "n" });
  const run = new LoopRun(ctx, request, await ctx.services.tools.registry.forRoute(route), tools.loop);
  if (request.stream) {
    const first = await openStreamedStep(ctx, run);
    const stream = new LoopStream(ctx, run, first);
    ctx.responseHeaders["x-tollgate-target"] = first.label;
    setDroppedHeader(ctx, first.opened.api);
    ctx.upstream = {
      kind: "stream",
      api: "canonical",
      stream,
      // The meter adds the last attempt's start; the client's first token came in the first step.
      get ttftMs() {
        return first.opened.ttftMs + first.record.startedAt - ctx.attempts.at(-1)!.startedAt;
      },
    };
    try {
      await next();
    } finally {
      stream.dispose();
    }
    return;
  }
  const response = await completeLoop(ctx, run);
  const answered = ctx.attempts.at(-1)!;
  ctx.responseHeaders["x-tollgate-target"] = `${answered.provider}/${answered.model}`;
  ctx.responseHeaders["x-tollgate-attempts"] = String(ctx.attempts.length);
  ctx.responseHeaders["x-tollgate-tool-calls"] = String(ctx.toolCalls.length);
  setDroppedHeader(ctx, adapterFor(ctx.services.providers.get(answered.provider)!.adapter, request, answered.model).nativeApi);
  ctx.upstream = builtAnswer(request, response, ctx.signal);
  await next();
}
