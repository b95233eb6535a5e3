import { countMessageTokens } from "../usage/tokenizer.js";
import type { GatewayContext } from "./context.js";

const counted = new WeakMap<GatewayContext, number>();

/** The prompt's tokens, counted once per request for every stage that needs them (limits, budgets). */
export function promptTokens(ctx: GatewayContext): number {
  let n = counted.get(ctx);
  if (n === undefined) {
    n = countMessageTokens(ctx.request!.messages);
    counted.set(ctx, n);
  }
  return n;
}
