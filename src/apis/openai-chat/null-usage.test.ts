import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withoutNullUsage } from "./null-usage.js";

/** What the field's removal means: the chunk parsed, its top-level null usage deleted. */
function parsedWithout(raw: string): unknown {
  const chunk = JSON.parse(raw) as Record<string, unknown>;
  if (chunk.usage === null) delete chunk.usage;
  return chunk;
}

const chunk = fc.record({
  id: fc.string(),
  object: fc.constant("chat.completion.chunk"),
  created: fc.nat(),
  model: fc.string(),
  // Text that spells the field, escaped as JSON escapes it, must stay.
  choices: fc.array(fc.record({ index: fc.nat(9), delta: fc.record({ content: fc.oneof(fc.string(), fc.constant('"usage":null}')) }), usage: fc.constantFrom(null, 1) })),
});

/** Keys and values that spell the field inside strings, or nest it. */
const tricky = fc.dictionary(
  fc.oneof(fc.string(), fc.constantFrom('a"usage', '"usage"', "usage\\", "obfuscation", "usage")),
  fc.oneof(fc.jsonValue(), fc.constant(null), fc.constant({ usage: null }), fc.constant('"usage":null')),
  { maxKeys: 4 },
);

describe("withoutNullUsage", () => {
  it("leaves the same object as parsing would, for any object with any keys", () => {
    fc.assert(
      fc.property(tricky, fc.boolean(), fc.constantFrom(undefined, 1, "\t"), (object, nullFirst, space) => {
        const withUsage = nullFirst ? { usage: null, ...object } : { ...object, usage: object.usage === undefined ? null : object.usage };
        const raw = JSON.stringify(withUsage, null, space);
        expect(JSON.parse(withoutNullUsage(raw))).toEqual(parsedWithout(raw));
      }),
      { numRuns: 3000 },
    );
  });

  it("drops exactly the top-level null usage, wherever it stands and however spaced", () => {
    fc.assert(
      fc.property(chunk, fc.constantFrom("first", "last", "absent", "set"), fc.constantFrom(undefined, 1, "\t"), (body, where, space) => {
        const withUsage = where === "first" ? { usage: null, ...body } : where === "last" ? { ...body, usage: null } : where === "set" ? { ...body, usage: { prompt_tokens: 1 } } : body;
        const raw = JSON.stringify(withUsage, null, space);
        const out = withoutNullUsage(raw);
        expect(JSON.parse(out)).toEqual(parsedWithout(raw));
        if (where !== "first" && where !== "last") expect(out).toBe(raw);
      }),
      { numRuns: 2000 },
    );
  });

  it("cuts OpenAI's own chunks from their text, keeping the rest byte for byte", () => {
    const raw = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}';
    expect(withoutNullUsage(raw)).toBe('{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}');
  });
});
