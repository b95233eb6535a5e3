import { countTokens, encode, decode } from "gpt-tokenizer";
import type { Message } from "../spec/canonical-request.js";

/**
 * Token counting with OpenAI's o200k_base encoding. Exact for current OpenAI models,
 * a close estimate for others: used only where a provider reports nothing.
 */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

export { encode as encodeTokens, decode as decodeTokens };

// OpenAI's published chat overhead: 3 tokens per message, 3 to prime the reply.
const PER_MESSAGE = 3;
const REPLY_PRIMER = 3;

export function countMessageTokens(messages: readonly Message[]): number {
  let total = REPLY_PRIMER;
  for (const m of messages) {
    total += PER_MESSAGE;
    if (typeof m.content === "string") total += countTextTokens(m.content);
    else if (m.content) for (const part of m.content) if (part.type === "text") total += countTextTokens(part.text);
    if (m.name) total += countTextTokens(m.name) + 1;
    for (const call of m.toolCalls ?? []) total += countTextTokens(call.name) + countTextTokens(call.arguments);
  }
  return total;
}
