import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { countTextTokens } from "./tokenizer.js";

describe("countTextTokens", () => {
  it("counts short and long texts as o200k does, the first time and when the text comes back", () => {
    const system = "You are a careful assistant for backend engineers. Answer in plain English, briefly. ".repeat(20);
    for (const text of ["", "hi", "héllo wörld 🌍", system, `${system}and one more line`]) {
      expect(countTextTokens(text)).toBe(text === "" ? 0 : countTokens(text));
      expect(countTextTokens(text)).toBe(text === "" ? 0 : countTokens(text));
    }
  });

  it("counts a special token's spelling as plain text instead of throwing", () => {
    const text = "what does <|endoftext|> mean after <|im_start|>?";
    expect(() => countTokens(text)).toThrow();
    expect(countTextTokens(text)).toBe(countTokens(text, { disallowedSpecial: new Set() }));
  });

  it("stays exact past the memo's size, when early texts have been dropped", () => {
    const block = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(2_000);
    const texts = Array.from({ length: 50 }, (_, i) => `${i}: ${block}`);
    const first = texts.map((t) => countTextTokens(t));
    expect(first).toEqual(texts.map((t) => countTokens(t)));
    expect(texts.map((t) => countTextTokens(t))).toEqual(first);
  });

  it("counts a short text the same the first time, when it comes back, and once many new ones have passed", () => {
    const text = "Summarise retries and fallbacks in two sentences, briefly. (request 7)";
    const exact = countTokens(text);
    // First sight, second (admitted to the memo), third (from the memo).
    expect([countTextTokens(text), countTextTokens(text), countTextTokens(text)]).toEqual([exact, exact, exact]);
    // Past both memos' size in other short texts: each counted once, then the first again.
    const others = Array.from({ length: 5_000 }, (_, i) => `A new message number ${i}, never seen before this one.`);
    expect(others.slice(0, 50).map((t) => countTextTokens(t))).toEqual(others.slice(0, 50).map((t) => countTokens(t)));
    for (const t of others.slice(50)) countTextTokens(t);
    expect(countTextTokens(others[0]!)).toBe(countTokens(others[0]!));
    expect(countTextTokens(text)).toBe(exact);
  });
});
