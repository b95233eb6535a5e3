import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isJsonDataFrame } from "../../sse/data-frame.js";
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

/** The check as it was before its keys were looked for in one search: one search per key, over the whole read. */
function searchedPerKey(text: string, ends: readonly number[]): boolean[] {
  const notNull = (after: number) => {
    let i = after;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    if (text.charCodeAt(i) !== 58) return true;
    i++;
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    return !text.startsWith("null", i);
  };
  const content = ends.map((end, i) => isJsonDataFrame(text, i === 0 ? 0 : ends[i - 1]!, end, "data: {"));
  const ruleOut = (head: string, tail: string, rulesOut: (after: number) => boolean) => {
    let frame = 0;
    for (let at = text.indexOf(tail); at !== -1; at = text.indexOf(tail, at + tail.length)) {
      if (at < head.length || !text.startsWith(head, at - head.length)) continue;
      while (ends[frame]! <= at) frame++;
      if (content[frame] && rulesOut(at + tail.length)) content[frame] = false;
    }
  };
  ruleOut('"e', 'rror"', () => true);
  ruleOut('"', 'usage"', notNull);
  ruleOut('"finish', '_reason"', notNull);
  return content;
}

/** Chunks whose keys and values spell the three keys (or nearly), nested or not, null or not, however spaced. */
const key = fc.constantFrom("error", "usage", "finish_reason", "xerror", "usage_", "reason", "rror", "finish_reasons", "content", "e");
const value = fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 1 }), fc.constantFrom('"usage": 1', 'x"error"', "finish_reason", '\\"usage\\"'), fc.string({ unit: "binary" }));
const chunkText = fc
  .tuple(
    fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 }), fc.array(fc.dictionary(key, value, { maxKeys: 3 }), { maxLength: 2 })), { maxKeys: 5 }),
    fc.constantFrom('":', '" :', '": ', '":\t', '"\t:  '),
  )
  .map(([object, colon]) => JSON.stringify(object).replaceAll('":', colon));
/** Text made of the pieces that matter, in any order: quotes, the keys' letters and words, colons, nulls, escapes, line ends. */
const scraps = fc.string({ unit: fc.constantFrom('"', "e", "r", "rror", "usage", "_reason", '"finish', "null", "nul", "l", ":", " ", "\t", "\\", "{", "}", "\n", "é", "🌍"), maxLength: 40 });
/** Members spelled every way the keys' values may be told null or not: spaces, a missing colon, values that nearly read null. */
const member = fc
  .tuple(
    fc.constantFrom('"error"', '"usage"', '"finish_reason"', '"xusage"', 'usage"', '"e"'),
    fc.constantFrom("", " ", "\t", " \t "),
    fc.constantFrom(":", ""),
    fc.constantFrom("", " ", "\t"),
    fc.constantFrom("null", "nul", "nullx", '"null"', "0", "{}", "Null", ""),
  )
  .map((parts) => parts.join(""));
const frame = fc.oneof(
  chunkText.map((json) => `data: ${json}\n\n`),
  fc.array(member, { minLength: 1, maxLength: 4 }).map((members) => `data: {${members.join(",")}}\n\n`),
  chunkText.map((json) => `data: ${json}\r\n\r\n`),
  scraps.map((text) => `data: {${text}}\n\n`),
  scraps.map((text) => `${text}\n\n`),
);

describe("chatContentFrames looks for its keys in one search", () => {
  it("and gives the verdicts one search per key gave, for any frames read together", () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), (frames) => {
        const bytes = Buffer.concat(frames.map((f) => Buffer.from(f, "utf8")));
        const ends: number[] = [];
        let at = 0;
        for (const f of frames) ends.push((at += Buffer.byteLength(f)));
        const text = bytes.toString("latin1");
        expect(chatContentFrames(text, ends)).toEqual(searchedPerKey(text, ends));
      }),
      { numRuns: 5000 },
    );
  });
});
