import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chatContentFrames } from "../../providers/openai/chat-content-frame.js";
import { parseChatChunk } from "../../providers/openai/chat-stream.js";
import { SseDecoder } from "../../sse/decoder.js";
import { passthroughChatEncoder } from "./encode-stream.js";
import { frameWithoutUsage } from "./frame-without-usage.js";
import { parseChatRequest } from "./parse-request.js";

// The rewrite must give, on a frame's bytes, exactly what the encoder writes of the frame's parsed
// chunk for a client that did not ask for usage: the expected bytes come from that encoder.
const encoder = passthroughChatEncoder(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }));

/** What the encoder writes of one whole frame, read as the stream's reader reads it; nothing for a frame without a message. */
function encoded(frame: Buffer): Buffer {
  const [message] = new SseDecoder().whole(frame);
  return Buffer.from(message ? encoder.chunk(parseChatChunk(message.data, false)) : "", "utf8");
}

/**
 * The rewrite of the frame's bytes, given what the reader gives it: the parsed chunk, or (relaying
 * unread) nothing for a frame the provider's quick look vouches for as content only.
 */
function rewritten(frame: Buffer, unread: boolean): Buffer {
  const text = frame.toString("latin1");
  const [message] = new SseDecoder().whole(frame);
  const chunk = unread && chatContentFrames(text, [text.length])[0] ? undefined : message && parseChatChunk(message.data, false);
  return Buffer.from(frameWithoutUsage(text, chunk), "latin1");
}

/** Keys and values that spell the field inside strings, nest it, or carry any character (astral, lone surrogates). */
const tricky = fc.dictionary(
  fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom('a"usage', '"usage"', "usage\\", '\\"usage', "obfuscation", "usage", "us\u00e4ge")),
  fc.oneof(
    fc.jsonValue(),
    fc.string({ unit: "binary" }),
    fc.constant(null),
    fc.constant({ usage: null }),
    fc.constant('"usage":null'),
    fc.constant('{"usage":null}'),
    fc.constant({ prompt_tokens: 1 }),
  ),
  { maxKeys: 4 },
);

const choice = fc.record({
  index: fc.nat(3),
  delta: fc.record({ content: fc.oneof(fc.string({ unit: "binary" }), fc.constant('"usage":null}')) }, { requiredKeys: [] }),
  finish_reason: fc.constantFrom(null, "stop"),
  usage: fc.constantFrom(undefined, null, 1),
});

/** A chunk: OpenAI's fields and others, `usage` null, absent, nested, set, or usage-only, first, last or among the others. */
const chunkObject = fc
  .tuple(
    fc.record({ id: fc.string(), object: fc.constant("chat.completion.chunk"), created: fc.nat(), model: fc.string({ unit: "binary" }), choices: fc.array(choice, { maxLength: 2 }) }),
    tricky,
    fc.constantFrom("first", "last", "middle", "absent"),
    fc.constantFrom(null, null, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }, "null"),
  )
  .map(([base, extra, where, usage]) => {
    const { usage: _drop, error: _error, ...rest } = { ...base, ...extra } as Record<string, unknown>;
    const entries = Object.entries(rest);
    const at = where === "first" ? 0 : where === "last" ? entries.length : where === "middle" ? Math.floor(entries.length / 2) : -1;
    if (at >= 0) entries.splice(at, 0, ["usage", usage]);
    return Object.fromEntries(entries);
  });

/** The payload as JSON.stringify writes it, or with `"usage": null`, or spread over lines (one `data:` line each). */
const payloadLines = fc.tuple(chunkObject, fc.constantFrom("compact", "spaced", "pretty")).map(([object, style]) => {
  if (style === "pretty") return JSON.stringify(object, null, 1).split("\n");
  const text = JSON.stringify(object);
  return [style === "spaced" ? text.replace('"usage":null', '"usage": null') : text];
});

/** A frame around those lines: as OpenAI writes them, or with other line ends, no space after `data:`, a comment, an event or an id line. */
const frame = fc
  .record({
    lines: payloadLines,
    eol: fc.constantFrom("\n", "\n", "\r\n", "\r"),
    field: fc.constantFrom("data: ", "data: ", "data:"),
    before: fc.constantFrom([], [], [": keep-alive"], ["event: chunk"], ["id: 7", ": x"]),
  })
  .map(({ lines, eol, field, before }) => Buffer.from([...before, ...lines.map((line) => field + line)].map((line) => line + eol).join("") + eol, "utf8"));

describe("frameWithoutUsage: a Chat frame rewritten on its bytes for a client that did not ask for usage", () => {
  it("gives the bytes the encoder writes of the frame, parsed or passed over unparsed, for any chunk and any framing", () => {
    fc.assert(
      fc.property(frame, (bytes) => {
        const expected = encoded(bytes);
        expect(rewritten(bytes, false).equals(expected)).toBe(true);
        expect(rewritten(bytes, true).equals(expected)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it("cuts OpenAI's own frame on its text: the rest byte for byte, multi-byte characters included", () => {
    const frame = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Grüße 🌍"},"finish_reason":null}],"usage":null,"obfuscation":"Qup1"}\n\n';
    const text = Buffer.from(frame, "utf8").toString("latin1");
    expect(Buffer.from(frameWithoutUsage(text, undefined), "latin1").toString("utf8")).toBe(frame.replace(',"usage":null', ""));
  });

  it("drops the usage-only chunk and a frame without a message; leaves a chunk without the field as it came", () => {
    const usageOnly = 'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n';
    expect(frameWithoutUsage(usageOnly, parseChatChunk(usageOnly.slice(6, -2), false))).toBe("");
    expect(frameWithoutUsage(": keep-alive\n\n", undefined)).toBe("");
    const plain = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"usage"}}]}\n\n';
    expect(frameWithoutUsage(plain, undefined)).toBe(plain);
  });
});
