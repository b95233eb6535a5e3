import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topLevelMembers } from "./top-level-members.js";

const scan = (text: string, maxDepth?: number) => topLevelMembers(Buffer.from(text, "utf8"), maxDepth);
const objects = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 });
const spaces = fc.constantFrom(undefined, 0, 2, "\t", " \r\n ");

describe("topLevelMembers", () => {
  it("finds every top-level member of any object, each value as JSON.parse reads it", () => {
    fc.assert(
      fc.property(objects, spaces, (object, space) => {
        const text = JSON.stringify(object, null, space);
        const members = scan(text);
        expect(members).toBeDefined();
        for (const [key, value] of Object.entries(JSON.parse(text) as object)) {
          expect(members!.has(key)).toBe(true);
          expect(members!.value(key)).toEqual(value);
        }
        expect(members!.has("\u0000absent")).toBe(Object.hasOwn(object, "\u0000absent"));
      }),
    );
  });

  it("refuses any document cut short, and anything after the object", () => {
    fc.assert(
      fc.property(objects, fc.nat(), fc.string({ minLength: 1 }), (object, cut, tail) => {
        const text = JSON.stringify(object);
        expect(scan(text.slice(0, cut % text.length))).toBeUndefined();
        if (tail.trim() !== "") expect(scan(text + tail)).toBeUndefined();
      }),
    );
  });

  it("jumps over strings, escaped quotes and brackets inside them included", () => {
    const text = JSON.stringify({ choices: [{ message: { content: 'say "}]{[" and \\" then \\\\' } }], usage: { prompt_tokens: 3 } });
    const members = scan(text)!;
    expect(members.opens("choices")).toBe("[");
    expect(members.value("usage")).toEqual({ prompt_tokens: 3 });
    expect(members.opens("missing")).toBeUndefined();
    expect(members.value("missing")).toBeUndefined();
  });

  it("refuses mismatched brackets, a top level that is not an object, and nesting past the limit", () => {
    expect(scan('{"a": [1, 2}')).toBeUndefined();
    expect(scan('{"a": {"b": 1]}')).toBeUndefined();
    expect(scan('[{"a": 1}]')).toBeUndefined();
    expect(scan('"text"')).toBeUndefined();
    expect(scan('{"a": 1,}')).toBeUndefined();
    expect(scan(`{"a": ${"[".repeat(5)}${"]".repeat(5)}}`, 6)).toBeDefined();
    expect(scan(`{"a": ${"[".repeat(6)}${"]".repeat(6)}}`, 6)).toBeUndefined();
  });
});
