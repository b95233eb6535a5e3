import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";
import { closeAnswer, openAnswer } from "../open-answer.js";

/**
 * A client's field name as header text: a header holds only visible ASCII (Node throws on
 * anything else, after the upstream has answered), so other characters are percent-encoded as UTF-8.
 */
export function headerSafe(name: string): string {
  return name.replace(/[^\x20-\x7e]/gu, (c) => [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""));
}

/**
 * Opens the answer through the route's targets (retries, fallback, breakers: open-answer.ts).
 * Everything there happens before the first byte reaches the client; once `next()`
 * (the relay) runs, nothing is retried.
 */
export const dispatch: Stage<GatewayContext> = async (ctx, next) => {
  // An earlier stage (a tool loop) already holds the answer.
  if (ctx.upstream) return next();
  const request = ctx.request!;
  const answer = await openAnswer(ctx, request);
  ctx.upstream = answer.opened;
  ctx.responseHeaders["x-tollgate-target"] = answer.label;
  ctx.responseHeaders["x-tollgate-attempts"] = String(answer.record.attempt);
  // Translated to another API: say which of the client's fields the target never saw.
  if (request.dropped?.length && answer.opened.api !== request.inbound.api) ctx.responseHeaders["x-tollgate-dropped"] = request.dropped.map(headerSafe).join(", ");
  try {
    await next();
  } finally {
    closeAnswer(ctx, answer);
  }
};
