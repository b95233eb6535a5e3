import { InvalidRequestError } from "../../errors/gateway-error.js";
import { runStructured } from "./run-structured.js";
import { schemaCheck } from "../../structured/schema-validator.js";
import { builtAnswer } from "../../engine/built-answer.js";
import type { Stage } from "../compose.js";
import type { RoutedContext } from "../context.js";
import type { ResponseFormat } from "../../spec/canonical-request.js";
import { adapterFor } from "../../providers/provider.js";
import { setDroppedHeader } from "../dispatch.js";

/**
 * Requests with a JSON Schema: the answer is produced and validated here (with repairs
 * and fallback, run-structured.ts) before anything reaches the client, then relayed as a
 * built answer (a JSON body, or a stream replayed from it). Other requests pass through.
 */
export const structuredOutput: Stage<RoutedContext> = (ctx, next) => {
  const format = ctx.request.responseFormat;
  return format?.type === "json_schema" ? structured(ctx, format, next) : next();
};

async function structured(ctx: RoutedContext, format: Extract<ResponseFormat, { type: "json_schema" }>, next: () => Promise<void>): Promise<void> {
  const request = ctx.request;
  // The repair loop and the tool loop each own the conversation; combining them is not built yet.
  if (ctx.route.tools) throw new InvalidRequestError("unsupported_parameter", "A JSON Schema answer is not supported on a model with server-side tools.", { param: "response_format" });
  // Compiled (and refused when invalid) at parse time: this is a cache hit.
  const answer = await runStructured(ctx, request, format, schemaCheck(format.schema));
  ctx.upstream = builtAnswer(request, answer.response, ctx.signal);
  ctx.responseHeaders["x-tollgate-target"] = `${answer.target.provider}/${answer.target.model}`;
  ctx.responseHeaders["x-tollgate-attempts"] = String(ctx.attempts.length);
  ctx.responseHeaders["x-tollgate-repairs"] = String(answer.repairs);
  setDroppedHeader(ctx, adapterFor(ctx.services.providers.get(answer.target.provider)!.adapter, request, answer.target.model).nativeApi);
  await next();
}
