import type { Stage } from "../compose.js";
import type { GatewayContext } from "../context.js";
import { promptTokens } from "../prompt-tokens.js";

/**
 * A token count request (Gemini's countTokens) is answered here, once the key and the model
 * are checked: the tokenizer's count of the prompt, marked estimated, and no upstream call,
 * budget or cost.
 */
export const answerTokenCount: Stage<GatewayContext> = async (ctx, next) => {
  const body = ctx.codec.tokenCountBody;
  if (!body) return next();
  const text = body(promptTokens(ctx));
  ctx.sink.send(200, { ...ctx.responseHeaders, "content-type": "application/json", "x-tollgate-token-count": "estimated" }, text);
};
