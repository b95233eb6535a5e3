import { describe, expect, test } from "vitest";
import { audioTokens, imageTokens, pdfTokens } from "./media-tokens.js";

// The figures the providers' own documentation gives as examples.
describe("media tokens by each provider's formula", () => {
  test("OpenAI tiles: a 1024 × 1024 image at high detail is 765 tokens on gpt-4o, 85 at low", () => {
    expect(imageTokens("openai", "gpt-4o", { width: 1024, height: 1024 })).toBe(765);
    expect(imageTokens("openai", "gpt-4o", { width: 1024, height: 1024 }, "low")).toBe(85);
    // 2048 × 4096 → 1024 × 2048 → 768 × 1536: 2 × 3 tiles.
    expect(imageTokens("openai", "gpt-4o", { width: 2048, height: 4096 })).toBe(1105);
  });

  test("OpenAI patches: 1024 × 1024 is 1024 patches, times the model's multiplier", () => {
    expect(imageTokens("openai", "gpt-4.1-mini", { width: 1024, height: 1024 })).toBe(Math.ceil(1024 * 1.62));
    expect(imageTokens("openai", "o4-mini", { width: 5000, height: 5000 })).toBe(Math.ceil(1536 * 1.72));
  });

  test("Anthropic: width × height / 750, about 1600 at most", () => {
    expect(imageTokens("anthropic", "claude-sonnet-4-5", { width: 1000, height: 1000 })).toBe(1334);
    expect(imageTokens("anthropic", "claude-sonnet-4-5", { width: 4000, height: 4000 })).toBe(1600);
  });

  test("Gemini: 258 up to 384 px, else 258 per 768 px tile", () => {
    expect(imageTokens("gemini", "gemini-2.5-flash", { width: 384, height: 384 })).toBe(258);
    expect(imageTokens("gemini", "gemini-2.5-flash", { width: 1000, height: 700 })).toBe(2 * 258);
  });

  test("an image the gateway cannot measure is charged the formula's maximum", () => {
    expect(imageTokens("openai", "gpt-4o", undefined)).toBe(85 + 170 * 8);
    expect(imageTokens("anthropic", "claude-haiku-4-5", undefined)).toBe(1600);
    expect(imageTokens("other", "x", undefined)).toBeGreaterThanOrEqual(imageTokens("gemini", "g", undefined));
  });

  test("audio by duration: a WAV's header, else its size at 8 kbit/s", () => {
    const header = Buffer.alloc(44);
    header.write("RIFF", 0, "latin1");
    header.write("WAVE", 8, "latin1");
    header.writeUInt32LE(32_000, 28);
    expect(audioTokens("openai", header, 32_000 * 6)).toBe(60);
    expect(audioTokens("gemini", Buffer.alloc(0), 10_000)).toBe(320);
  });

  test("a PDF by its pages; compressed object streams are bounded by size", () => {
    const twoPages = Buffer.from("<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type /Page >>", "latin1");
    expect(pdfTokens("gemini", "g", twoPages)).toBe(2 * 258);
    expect(pdfTokens("anthropic", "c", twoPages)).toBe(2 * (3000 + 1600));
    const packed = Buffer.concat([Buffer.from("/ObjStm ", "latin1"), Buffer.alloc(15_000)]);
    expect(pdfTokens("gemini", "g", packed)).toBe(Math.ceil(packed.length / 1500) * 258);
  });
});
