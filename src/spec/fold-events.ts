import type { ResponseChoice, CanonicalResponse } from "./canonical-response.js";
import type { StreamEvent } from "./stream-events.js";

/** A streamed answer's events folded into the complete answer they describe. */
export function foldEvents(events: Iterable<StreamEvent>): CanonicalResponse {
  const answer: CanonicalResponse = { id: "", model: "", created: 0, choices: [] };
  const choices = new Map<number, ResponseChoice>();
  const choice = (index: number): ResponseChoice => {
    let c = choices.get(index);
    if (!c) choices.set(index, (c = { index, text: null, finishReason: "other" }));
    return c;
  };
  for (const e of events) {
    switch (e.type) {
      case "response-start":
        answer.id = e.id;
        answer.model = e.model;
        answer.created = e.created;
        break;
      case "text-delta": {
        const c = choice(e.choice);
        c.text = (c.text ?? "") + e.text;
        break;
      }
      case "reasoning-delta": {
        const c = choice(e.choice);
        c.reasoning = (c.reasoning ?? "") + e.text;
        break;
      }
      case "tool-call-delta": {
        const calls = (choice(e.choice).toolCalls ??= []);
        const call = (calls[e.index] ??= { id: "", name: "", arguments: "" });
        if (e.id) call.id = e.id;
        if (e.name) call.name = e.name;
        call.arguments += e.argumentsDelta;
        break;
      }
      case "finish":
        choice(e.choice).finishReason = e.reason;
        break;
      case "usage":
        answer.usage = e.usage;
        break;
    }
  }
  answer.choices = [...choices.values()].sort((a, b) => a.index - b.index);
  return answer;
}
