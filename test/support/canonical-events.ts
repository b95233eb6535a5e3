/**
 * Folds canonical stream events (what an adapter's parseStreamMessage yields) into the
 * same shape as `expectedFromChatChunks`, so a whole replay compares with one toEqual.
 */
import type { StreamEvent } from "../../src/spec/stream-events.js";
import type { Usage } from "../../src/spec/usage.js";
import type { ExpectedChoice, ExpectedToolCall } from "./fixtures.js";

export interface AccumulatedStream {
  /** Ordered by choice index; `finishReason` is the finish event's `raw` (its `reason` when no raw). */
  choices: ExpectedChoice[];
  /** The last usage event's figures; null when none came. */
  usage: Usage | null;
  /** The canonical finish reasons per choice index. */
  canonicalFinish: Map<number, string>;
  /** The response-start events seen. */
  starts: Array<StreamEvent & { type: "response-start" }>;
  /** Every usage event, in order. */
  usageEvents: Usage[];
}

export function accumulateEvents(events: Iterable<StreamEvent>): AccumulatedStream {
  const choices = new Map<number, { text: string; reasoning: string; tools: Map<number, ExpectedToolCall>; finishReason: string | null }>();
  const slot = (index: number) => {
    let c = choices.get(index);
    if (!c) {
      c = { text: "", reasoning: "", tools: new Map(), finishReason: null };
      choices.set(index, c);
    }
    return c;
  };
  const out: AccumulatedStream = { choices: [], usage: null, canonicalFinish: new Map(), starts: [], usageEvents: [] };
  for (const e of events) {
    switch (e.type) {
      case "response-start":
        out.starts.push(e);
        break;
      case "text-delta":
        slot(e.choice).text += e.text;
        break;
      case "reasoning-delta":
        slot(e.choice).reasoning += e.text;
        break;
      case "tool-call-delta": {
        const tools = slot(e.choice).tools;
        let t = tools.get(e.index);
        if (!t) {
          t = { id: "", name: "", arguments: "" };
          tools.set(e.index, t);
        }
        if (e.id) t.id = e.id;
        if (e.name) t.name = e.name;
        t.arguments += e.argumentsDelta;
        break;
      }
      case "finish":
        slot(e.choice).finishReason = e.raw ?? e.reason;
        out.canonicalFinish.set(e.choice, e.reason);
        break;
      case "usage":
        out.usage = e.usage;
        out.usageEvents.push(e.usage);
        break;
    }
  }
  out.choices = [...choices.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, c]) => ({
      index,
      text: c.text,
      reasoning: c.reasoning,
      toolCalls: [...c.tools.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t),
      finishReason: c.finishReason,
    }));
  return out;
}
