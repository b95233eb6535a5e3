import type { Stage } from "./compose.js";
import type { RoutedContext } from "./context.js";
import { closeAnswer, openAnswer } from "../engine/open-answer.js";

/**
 * A client's field name as header text: a header holds only visible ASCII (Node throws on
 * anything else, after the upstream has answered), so other characters are percent-encoded as UTF-8.
 */
function headerSafe(name: string): string {
  return name.replace(/[^\x20-\x7e]/gu, (c) => [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""));
}

/** Translated to another API: says which of the client's fields, built-in tools and provider features the target never saw. */
export function setDroppedHeader(ctx: RoutedContext, targetApi: string): void {
  const request = ctx.request;
  const names = [...(request.dropped ?? []), ...(request.providerOnly ?? [])];
  if (names.length > 0 && targetApi !== request.inbound.api) ctx.responseHeaders["x-tollgate-dropped"] = names.map(headerSafe).join(", ");
}

/**
 * Opens the answer through the route's targets (retries, fallback, breakers: open-answer.ts).
 * Everything there happens before the first byte reaches the client; once `next()`
 * (the relay) runs, nothing is retried.
 */
export const dispatch: Stage<RoutedContext> = async (ctx, next) => {
  // An earlier stage already holds the answer (a validated structured output, a tool loop): relay it.
  if (ctx.upstream) return next();
  const request = ctx.request;
  const answer = await openAnswer(ctx, request, ctx.route);
  ctx.upstream = answer.opened;
  ctx.responseHeaders["x-tollgate-target"] = answer.label;
  ctx.responseHeaders["x-tollgate-attempts"] = String(answer.record.attempt);
  setDroppedHeader(ctx, answer.opened.api);
  try {
    await next();
  } finally {
    closeAnswer(ctx, answer);
  }
};
