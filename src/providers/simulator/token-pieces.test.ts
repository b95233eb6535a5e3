import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countTextTokens } from "../../usage/tokenizer.js";
import { answerSentences, topicOf } from "./answer-text.js";
import { SeededRandom } from "./random.js";
import { fixedPieces, sentencePieces, type TokenPieces } from "./token-pieces.js";

function drain(pieces: TokenPieces): { pieces: string[]; finish: string } {
  const out: string[] = [];
  let next = pieces.next();
  while (!next.done) {
    out.push(next.value);
    next = pieces.next();
  }
  return { pieces: out, finish: next.value };
}

function answer(prompt: string, target: number, limited: boolean, seed = 1) {
  return drain(sentencePieces(answerSentences(topicOf(prompt), new SeededRandom(seed)), target, limited));
}

describe("sentencePieces", () => {
  it("cuts a limited answer at exactly the limit, finishing with length", () => {
    for (const target of [1, 2, 3, 7, 50, 333]) {
      const { pieces, finish } = answer("Explain database indexes", target, true);
      expect(pieces).toHaveLength(target);
      expect(countTextTokens(pieces.join(""))).toBe(target);
      expect(finish).toBe("length");
    }
  });

  it("closes an unlimited answer with a full stop at (or one token short of) the target", () => {
    for (const target of [5, 20, 40, 41, 42, 43, 120, 500]) {
      const { pieces, finish } = answer("Explain database indexes", target, false, target);
      const text = pieces.join("");
      expect(finish).toBe("stop");
      expect(pieces.length).toBeLessThanOrEqual(target);
      expect(pieces.length).toBeGreaterThanOrEqual(target - 1);
      expect(text.trimEnd().endsWith(".")).toBe(true);
      expect(countTextTokens(text)).toBe(pieces.length);
    }
  });

  it("streams one token per piece, and the pieces re-count to their number", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: 1, max: 200 }), fc.boolean(), fc.nat(), (prompt, target, limited, seed) => {
        const { pieces } = answer(prompt, target, limited, seed);
        for (const piece of pieces) expect(countTextTokens(piece)).toBe(1);
        expect(countTextTokens(pieces.join(""))).toBe(pieces.length);
        expect(pieces.join("")).toMatch(/^[\x20-\x7e]*$/);
      }),
      { numRuns: 60 },
    );
  });
});

describe("fixedPieces", () => {
  it("splits a text into its tokens and keeps the given finish reason", () => {
    const { pieces, finish } = drain(fixedPieces('{"city":"Paris"}', "tool_calls"));
    expect(pieces.join("")).toBe('{"city":"Paris"}');
    expect(pieces.length).toBe(countTextTokens('{"city":"Paris"}'));
    expect(finish).toBe("tool_calls");
  });

  it("cuts at a limit with length", () => {
    const { pieces, finish } = drain(fixedPieces('{"city":"Paris","days":1}', "tool_calls", 2));
    expect(pieces).toHaveLength(2);
    expect(finish).toBe("length");
  });
});
