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
});
