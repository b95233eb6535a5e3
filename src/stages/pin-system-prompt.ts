import type { ResolvedRoute } from "../config/resolve.js";
import { InvalidRequestError } from "../errors/gateway-error.js";
import type { CanonicalRequest, InboundApi, Message } from "../spec/canonical-request.js";
import type { Stage } from "./compose.js";
import type { ParsedContext } from "./context.js";

/** Where each API carries the client's system prompt, for the 400 that names it. */
const SYSTEM_PARAM: Record<InboundApi, string> = {
  "openai-chat": "messages",
  "openai-responses": "instructions",
  "anthropic-messages": "system",
  "openai-embeddings": "input",
  gemini: "systemInstruction",
  "gemini-embeddings": "content",
};

const isSystem = (m: Message) => m.role === "system" || m.role === "developer";

/**
 * The route's system prompt in the request. Pinned, it goes first, verbatim: the client's
 * own system and developer messages stay after it (lower priority) or are refused, as the
 * route says. As a default, it is used only when the client sends no system prompt.
 * The text is the config's, as written: nothing from the request is ever put into it.
 */
export function withSystemPrompt(request: CanonicalRequest, prompt: NonNullable<ResolvedRoute["systemPrompt"]>): CanonicalRequest {
  const clientSystem = request.messages.some(isSystem);
  if (prompt.mode === "default" && clientSystem) return request;
  if (prompt.mode === "pin" && clientSystem && prompt.clientSystem === "refuse") {
    const param = SYSTEM_PARAM[request.inbound.api];
    throw new InvalidRequestError("system_prompt_pinned", `The model "${request.model}" has a fixed system prompt; send your instructions as user content, not in ${param}.`, { param });
  }
  return { ...request, rewritten: true, messages: [{ role: "system", content: prompt.text }, ...request.messages] };
}

/**
 * Runs before resolveRoute, so that the route's context window and the budgets count
 * the pinned prompt too; an unknown model is left for resolveRoute to refuse.
 */
export const pinSystemPrompt: Stage<ParsedContext> = (ctx, next) => {
  const request = ctx.request;
  const models = ctx.services.config.models;
  const prompt = Object.hasOwn(models, request.model) ? models[request.model]!.systemPrompt : undefined;
  if (prompt && !request.embedding) ctx.request = withSystemPrompt(request, prompt);
  return next();
};
