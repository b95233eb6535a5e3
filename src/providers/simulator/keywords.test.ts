import { describe, expect, it } from "vitest";
import { asciiSnippet, extractKeywords } from "./keywords.js";

describe("extractKeywords", () => {
  it("keeps runs of adjacent content words as phrases, in prompt order", () => {
    expect(extractKeywords("How do I configure rate limits in nginx for a small API?")).toEqual(["rate limits", "nginx", "API"]);
  });

  it("lowercases only the capital that starts the prompt", () => {
    expect(extractKeywords("Weather forecast for Paris")).toEqual(["weather forecast", "Paris"]);
  });

  it("breaks phrases at punctuation and caps their count", () => {
    expect(extractKeywords("apples, oranges, pears, plums", 2)).toEqual(["apples", "oranges"]);
  });

  it("ignores non-ASCII words and finds nothing in an empty prompt", () => {
    expect(extractKeywords("Qu'est-ce que la café-crème ?")).not.toContain("café-crème");
    expect(extractKeywords("")).toEqual([]);
    expect(extractKeywords("日本語の質問")).toEqual([]);
  });
});

describe("asciiSnippet", () => {
  it("flattens to printable ASCII on one line and cuts long text", () => {
    expect(asciiSnippet("  22°C\nsunny\t", 50)).toBe("22 C sunny");
    const long = asciiSnippet("x".repeat(300), 20);
    expect(long).toHaveLength(20);
    expect(long.endsWith("...")).toBe(true);
  });
});

describe("extractKeywords ranking", () => {
  it("puts multi-word phrases first", () => {
    expect(extractKeywords("How should I size a connection pool for Postgres?")).toEqual(["connection pool", "size", "Postgres"]);
  });
});
