import type { Embedded } from "../cache-plan.js";
import type { RoutedContext } from "../context.js";
import { meterAttempt } from "../../engine/final-usage.js";
import { closeAnswer, openAnswer } from "../../engine/open-answer.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";

/**
 * Embeds `text` through an embedding route with the gateway's own provider machinery
 * (targets, retries, breakers, timeouts): the call is one more attempt of this request,
 * metered and priced like any other. Throws what the route's targets threw.
 */
export async function embedText(ctx: RoutedContext, routeName: string, text: string): Promise<Embedded> {
  const route = ctx.services.config.models[routeName]!;
  const request: CanonicalRequest = {
    model: route.name,
    messages: [],
    stream: false,
    includeUsage: false,
    embedding: { input: [text] },
    inbound: { api: "openai-embeddings", body: { model: route.name, input: [text] } },
    // The request's own key: a provider that dedupes sees each embedding once per request.
    ...(ctx.request.idempotencyKey ? { idempotencyKey: ctx.request.idempotencyKey } : {}),
  };
  const answer = await openAnswer(ctx, request, route);
  closeAnswer(ctx, answer);
  const { opened, record } = answer;
  if (opened.kind !== "embedding" || !opened.response.vectors[0]) throw new Error(`route "${route.name}" did not answer with an embedding`);
  meterAttempt(ctx, record, opened.response.usage);
  return { vector: opened.response.vectors[0], attempt: record };
}
