import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topLevelMembers } from "./top-level-members.js";

const scan = (text: string, maxDepth?: number) => topLevelMembers([Buffer.from(text, "utf8")], maxDepth);

/** The document's bytes cut at the given places (sorted, repeats make empty parts), as a body's reads would be. */
function cutAt(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text, "utf8");
  const at = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  return [...at, bytes.length].map((end, k) => bytes.subarray(k === 0 ? 0 : at[k - 1], end));
}
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

  it("reads the same members however the bytes were split into parts, a character or an escape cut in two included", () => {
    // Backslash runs and multi-byte characters next to quotes: the places a cut can mislead a scan.
    const tricky = fc.string({ unit: fc.constantFrom("\\", '"', "é", "😀", "a", " ", "{", "]"), maxLength: 12 });
    const documents = fc.oneof(
      fc.tuple(objects, spaces).map(([object, space]) => JSON.stringify(object, null, space)),
      fc.dictionary(tricky, tricky, { maxKeys: 4 }).map((object) => JSON.stringify(object)),
      fc.tuple(objects, fc.nat()).map(([object, cut]) => JSON.stringify(object).slice(0, cut)),
    );
    let split = 0;
    fc.assert(
      fc.property(documents, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const whole = scan(text);
        const parts = cutAt(text, cuts);
        if (parts.length > 1) split++;
        const members = topLevelMembers(parts);
        expect(members === undefined).toBe(whole === undefined);
        if (!whole) return;
        for (const key of Object.keys(JSON.parse(text) as object)) {
          expect(members!.opens(key)).toBe(whole.opens(key));
          expect(members!.value(key)).toEqual(whole.value(key));
        }
      }),
      { numRuns: 2000 },
    );
    expect(split).toBeGreaterThan(1000);
  });

  it("finds a string's end past a run of backslashes that a cut divides", () => {
    const text = JSON.stringify({ a: "x\\\\", b: 'q\\"', usage: 1 });
    for (let cut = 0; cut <= Buffer.byteLength(text); cut++) {
      for (let second = cut; second <= Buffer.byteLength(text); second++) {
        const members = topLevelMembers(cutAt(text, [cut, second]));
        expect(members?.value("a")).toBe("x\\\\");
        expect(members?.value("b")).toBe('q\\"');
        expect(members?.value("usage")).toBe(1);
      }
    }
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
