import { describe, expect, it } from "vitest";
import { PriceTable } from "./price-table.js";
import { priceNames } from "./price-names.js";

describe("the names a model's price is listed under", () => {
  it("Bedrock profiles and ARNs, Vertex versions and date suffixes fall back to the model they name", () => {
    expect(priceNames("us.anthropic.claude-haiku-4-5-20251001-v1:0")).toEqual(["us.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0"]);
    expect(priceNames("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0").slice(1)).toEqual(["eu.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"]);
    expect(priceNames("claude-sonnet-4-5@20250929")).toEqual(["claude-sonnet-4-5@20250929", "claude-sonnet-4-5"]);
    expect(priceNames("gpt-4o-2024-08-06")).toEqual(["gpt-4o-2024-08-06", "gpt-4o"]);
    expect(priceNames("gemini-2.5-flash")).toEqual(["gemini-2.5-flash"]);
  });

  it("the shipped table prices every cloud id the docs and example use", () => {
    const table = new PriceTable(PriceTable.shipped());
    for (const model of [
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us.anthropic.claude-haiku-4-5-20251001-v1:0",
      "us.amazon.nova-pro-v1:0",
      "amazon.nova-lite-v1:0",
      "us.meta.llama3-3-70b-instruct-v1:0",
      "amazon.titan-embed-text-v2:0",
      "cohere.embed-english-v3",
      "claude-sonnet-4-5@20250929",
      "claude-haiku-4-5@20251001",
      "gemini-3-pro-preview",
      "gemini-2.5-flash",
    ]) {
      expect(table.lookup(model), model).toBeDefined();
    }
    // Cache reads and writes have their own prices: 10 cache-read and 10 cache-write tokens of 30 input.
    const usage = { inputTokens: 30, outputTokens: 0, cachedInputTokens: 10, cacheWriteTokens: 10 };
    expect(table.cost("us.anthropic.claude-haiku-4-5-20251001-v1:0", usage)).toBe(Math.round((10 * 1 + 10 * 0.1 + 10 * 1.25) * 1000));
  });
});
