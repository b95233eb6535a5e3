import { describe, expect, it } from "vitest";
import { answerSentences, topicOf } from "./answer-text.js";
import { SeededRandom } from "./random.js";

function take(prompt: string, count: number, seed: number, toolResults: { name: string; content: string }[] = []): string[] {
  const sentences = answerSentences(topicOf(prompt, toolResults), new SeededRandom(seed));
  return Array.from({ length: count }, () => sentences.next().value as string);
}

describe("answerSentences", () => {
  it("is deterministic for a seed and echoes the prompt's topic", () => {
    const a = take("How should I size a connection pool for Postgres?", 6, 42);
    expect(take("How should I size a connection pool for Postgres?", 6, 42)).toEqual(a);
    expect(a[0]).toMatch(/connection pool/);
    expect(a.join("")).toMatch(/^[\x20-\x7e]+$/);
  });

  it("starts every sentence but the first with a space and ends each with a full stop", () => {
    const sentences = take("kubernetes autoscaling", 20, 7);
    expect(sentences[0]!.startsWith(" ")).toBe(false);
    for (const s of sentences.slice(1)) expect(s).toMatch(/^ [A-Z]/);
    for (const s of sentences) expect(s.endsWith(".")).toBe(true);
  });

  it("opens with the tool results when the conversation ends with them", () => {
    const [first] = take("weather in Paris", 1, 1, [{ name: "get_weather", content: '{"temp": 21, "sky": "clear"}' }]);
    expect(first).toBe('According to the get_weather tool, the result is: {"temp": 21, "sky": "clear"}.');
  });

  it("falls back to generic words for a prompt with no topic", () => {
    expect(take("???", 3, 3).join("")).toMatch(/the question/);
  });
});
