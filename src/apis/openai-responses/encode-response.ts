import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { messageItem, toolCallItem, newId, reasoningItem, responseId, responseObject, statusOf } from "./wire.js";

/** A canonical answer (its first choice: Responses has no `n`) as a Responses API body. */
export function encodeResponsesBody(response: CanonicalResponse, request: CanonicalRequest): string {
  const choice = response.choices[0];
  const output: unknown[] = [];
  if (choice?.reasoning) output.push(reasoningItem(newId("rs"), choice.reasoning));
  const calls = choice?.toolCalls ?? [];
  if (choice && choice.text !== null && (choice.text !== "" || calls.length === 0)) output.push(messageItem(newId("msg"), "completed", choice.text));
  for (const call of calls) {
    const origin = request.toolOrigins?.[call.name];
    output.push(toolCallItem(newId(origin?.kind === "custom" ? "ctc" : "fc"), "completed", call.id || newId("call"), call.name, call.arguments, origin));
  }
  const { status, incompleteReason } = statusOf(choice?.finishReason);
  return JSON.stringify(
    responseObject(request, {
      id: responseId(response.id),
      model: response.model || request.model,
      createdAt: response.created || Math.floor(Date.now() / 1000),
      status,
      ...(incompleteReason ? { incompleteReason } : {}),
      output,
      ...(response.usage ? { usage: response.usage } : {}),
    }),
  );
}
