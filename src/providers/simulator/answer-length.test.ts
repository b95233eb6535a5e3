import { describe, expect, it } from "vitest";
import { naturalAnswerTokens } from "./answer-length.js";
import { SeededRandom } from "./random.js";

describe("naturalAnswerTokens", () => {
  it("draws varied, bounded lengths around a median of about 90 tokens", () => {
    const lengths = Array.from({ length: 2000 }, (_, seed) => naturalAnswerTokens(new SeededRandom(seed * 7919)));
    for (const n of lengths) {
      expect(n).toBeGreaterThanOrEqual(12);
      expect(n).toBeLessThanOrEqual(800);
    }
    const sorted = [...lengths].sort((a, b) => a - b);
    const median = sorted[1000]!;
    expect(median).toBeGreaterThan(70);
    expect(median).toBeLessThan(110);
    expect(new Set(lengths).size).toBeGreaterThan(100);
  });

  it("is the same for the same seed", () => {
    expect(naturalAnswerTokens(new SeededRandom(42))).toBe(naturalAnswerTokens(new SeededRandom(42)));
  });
});
