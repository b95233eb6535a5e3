import fc from "fast-check";
import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { countByPieces } from "./o200k-pieces.js";

/** Characters where o200k's split has its edges: each letter case, digits, every kind of whitespace, apostrophes, slashes, marks, non-ASCII letters and digits, emoji, lone surrogates. */
const EDGES = [..."aZ09'sStTlLvVeErRdDmM /\\\r\n\t\v\f\x00\x1f\x7f!?.,-_(){}<|>\"`~\u00a0\u2028\u3000\ufeffé\u0301ßÆǅʰ中٣１😀👍🏽\ud800\udfff"];
const edgeChar = fc.constantFrom(...EDGES);
const anyChar = fc.oneof(edgeChar, fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }));
const word = fc.constantFrom(
  "the",
  " the",
  "The",
  " THE",
  "don't",
  " I'll",
  "we're",
  " we've",
  "You'VE",
  " THEY'RE",
  " it's",
  "I'M",
  " she'd",
  "can't",
  "'ll",
  "HTTPServer",
  "snake_case",
  " 12345",
  "x",
  "...",
  "//",
  " \n\n ",
  "   ",
  "\r\n",
  "<|endoftext|>",
  "<|im_start|>",
  "héllo",
  " мир",
  "  ",
  "\t",
);

function same(text: string): void {
  expect(countByPieces(text), JSON.stringify(text)).toBe(countTokens(text, { disallowedSpecial: new Set() }));
}

describe("countByPieces", () => {
  it("counts as the library does on random unicode, ASCII, and text made of edge characters", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 80 }), same), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 120 }), same), { numRuns: 5000 });
    fc.assert(
      fc.property(
        fc.array(anyChar, { maxLength: 60 }).map((cs) => cs.join("")),
        same,
      ),
      { numRuns: 5000 },
    );
  });

  it("counts as the library does on words, code, whitespace runs and long repeats", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(word, edgeChar), { maxLength: 40 }).map((ws) => ws.join("")),
        same,
      ),
      { numRuns: 5000 },
    );
    fc.assert(
      // Up to 256 characters: a longer run is one piece counted in slices (below).
      fc.property(fc.oneof(word, edgeChar), fc.integer({ min: 1, max: 256 }), (w, n) => same(w.repeat(Math.max(1, Math.min(n, Math.floor(256 / w.length)))))),
      { numRuns: 300 },
    );
    const code = 'export function f(a: number): string {\n\treturn String(a).padStart(3, "0"); // ok\n}\n\n';
    for (const text of [code, code.repeat(30), JSON.stringify({ a: [1, 2.5, "x y"], b: { c: null } }), "a".repeat(256), " ".repeat(256), "\n".repeat(100)]) same(text);
  });

  it("counts a piece longer than 256 characters in slices, within 0.5 % of the library", () => {
    const letters = (n: number, alphabet: string) => Array.from({ length: n }, (_, i) => alphabet[(i * 7919) % alphabet.length]).join("");
    for (const text of ["a".repeat(5000), " ".repeat(3000), letters(4000, "ACGT"), letters(3000, "abcdefghijklmnopqrstuvwxyz"), `say ${letters(1000, "qwertyuiop")} twice`]) {
      const exact = countTokens(text);
      expect(Math.abs(countByPieces(text) - exact), text.slice(0, 20)).toBeLessThanOrEqual(Math.ceil(exact * 0.005));
    }
  });
});
