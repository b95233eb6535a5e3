import { describe, expect, it } from "vitest";
import { chatContentFrames } from "./chat-content-frame.js";

/** The verdict for each frame, read together as one network read (latin1, as the reader gives them). */
function verdicts(frames: readonly string[]): boolean[] {
  const bytes = Buffer.concat(frames.map((f) => Buffer.from(f, "utf8")));
  const ends: number[] = [];
  let at = 0;
  for (const f of frames) ends.push((at += Buffer.byteLength(f)));
  return chatContentFrames(bytes.toString("latin1"), ends);
}

const chunk = (body: Record<string, unknown>) => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", ...body })}\n\n`;
const delta = (d: Record<string, unknown>, extra: Record<string, unknown> = {}) => chunk({ choices: [{ index: 0, delta: d, finish_reason: null }], ...extra });

describe("chatContentFrames: which frames may go out unparsed", () => {
  it("content deltas (text, reasoning, tool arguments, any text inside) with null finish_reason and usage", () => {
    expect(
      verdicts([
        delta({ content: "word " }),
        delta({ content: 'he said "error" and "usage": {} then "finish_reason": "stop" — ünïcödé 🌍' }),
        delta({ reasoning_content: "hmm" }, { usage: null }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '{"error":"usage"}' } }] }),
        'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason" : null}],"usage":  null}\r\n\r\n',
      ]),
    ).toEqual([true, true, true, true, true]);
  });

  it("anything that may carry a finish, usage, an error or the end marker is parsed", () => {
    expect(
      verdicts([
        chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
        chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
        // The second choice finishes: every occurrence counts.
        chunk({
          choices: [
            { index: 0, delta: { content: "a" }, finish_reason: null },
            { index: 1, delta: {}, finish_reason: "length" },
          ],
        }),
        'data: {"error":{"message":"overloaded"}}\n\n',
        "data: [DONE]\n\n",
      ]),
    ).toEqual([false, false, false, false, false]);
  });

  it("frames of any other shape are parsed", () => {
    expect(
      verdicts([
        ": keep-alive\n\n",
        `event: delta\n${delta({ content: "a" })}`,
        'data:{"choices":[]}\n\n',
        // Not JSON (cut short): the parser reports it.
        'data: {"choices":[{"delta":{"content":"cut\n\n',
        // A value that merely reads "usage" or "error" costs a parse, nothing more.
        delta({ content: "usage" }),
        delta({ content: "error" }),
      ]),
    ).toEqual([false, false, false, false, false, false]);
  });
});
