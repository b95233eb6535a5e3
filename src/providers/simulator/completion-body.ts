import { completionBody, wireUsage, type WireChoiceResult, type WireContext } from "./chat-wire.js";
import type { CompletionPlan } from "./completion-plan.js";

export interface CollectedCompletion {
  /** The `chat.completion` JSON text. */
  body: string;
  /** The longest choice in tokens: how long generation takes. */
  rounds: number;
}

/** Generates every choice to the end, for a non-streamed answer. */
export function collectCompletion(ctx: WireContext, plan: CompletionPlan): CollectedCompletion {
  let completionTokens = 0;
  let rounds = 0;
  const choices = plan.choices.map((choice): WireChoiceResult => {
    let text = "";
    let tokens = 0;
    let next = choice.pieces.next();
    while (!next.done) {
      text += next.value;
      tokens++;
      next = choice.pieces.next();
    }
    rounds = Math.max(rounds, tokens);
    completionTokens += tokens;
    if (choice.kind === "text") return { index: choice.index, text, finishReason: next.value };
    completionTokens += choice.nameTokens;
    return { index: choice.index, text: null, toolCall: { id: choice.id, name: choice.name, arguments: text }, finishReason: next.value };
  });
  return { body: completionBody(ctx, choices, wireUsage(plan.promptTokens, completionTokens)), rounds };
}
