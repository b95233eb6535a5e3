import { UpstreamHttpError, UpstreamProtocolError } from "../errors/upstream-errors.js";
import { adapterFor } from "../providers/provider.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { readBytes } from "../transport/upstream-body.js";
import { countTextTokens } from "../usage/tokenizer.js";
import type { Stage } from "./compose.js";
import type { RoutedContext } from "./context.js";
import { promptTokens } from "./prompt-tokens.js";

const COUNT_LIMIT_BYTES = 64 * 1024;

/** The tokenizer's count: the prompt and each tool's definition as the model would read them. */
function estimate(ctx: RoutedContext, request: CanonicalRequest): number {
  const tools = (request.tools ?? []).reduce((n, t) => n + countTextTokens(JSON.stringify({ name: t.name, description: t.description, input_schema: t.parameters })), 0);
  return promptTokens(ctx) + tools;
}

/**
 * The count of the route's first target when its provider counts (Anthropic's count_tokens)
 * and speaks the client's API (the count is of the request as sent), else undefined.
 */
async function upstreamCount(ctx: RoutedContext): Promise<number | undefined> {
  const target = ctx.route.targets[0];
  const provider = target && ctx.services.providers.get(target.provider);
  const build = provider?.adapter.buildCountTokensRequest;
  if (!provider || !target || !build || adapterFor(provider.adapter, ctx.request, target.model).nativeApi !== ctx.request.inbound.api) return undefined;
  const { timeouts } = ctx.route;
  const response = await provider.transport.send(build(ctx.request, target.model), { signal: ctx.signal, connectTimeoutMs: timeouts.connectMs, headersTimeoutMs: timeouts.headersMs });
  const text = (await readBytes(response.body, () => response.destroy(), COUNT_LIMIT_BYTES, "truncate")).toString("utf8");
  if (response.status !== 200) {
    const fields = provider.adapter.parseError(response.status, text);
    throw new UpstreamHttpError(response.status, fields.message, undefined, fields);
  }
  const count = (JSON.parse(text) as { input_tokens?: unknown }).input_tokens;
  if (typeof count !== "number") throw new UpstreamProtocolError(`${target.provider} answered a token count without input_tokens.`);
  return count;
}

/**
 * A token count (Anthropic's count_tokens, Gemini's countTokens) is answered here, once the
 * key and the model are checked: the upstream's own count when the route's first target
 * has one, else the tokenizer's; `x-tollgate-token-count` says which. No budget, no cost.
 */
export const countTokens: Stage<RoutedContext> = (ctx, next) => {
  const render = ctx.codec.tokenCountBody;
  // Not async around other requests (nearly all): an async function costs its promise machinery per request.
  return render ? answerCount(ctx, render) : next();
};

async function answerCount(ctx: RoutedContext, render: NonNullable<RoutedContext["codec"]["tokenCountBody"]>): Promise<void> {
  const counted = await upstreamCount(ctx);
  const source = counted === undefined ? "estimated" : "upstream";
  ctx.sink.send(200, { ...ctx.responseHeaders, "content-type": "application/json", "x-tollgate-token-count": source }, render(counted ?? estimate(ctx, ctx.request)));
}
