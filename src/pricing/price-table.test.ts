import { expect, test } from "vitest";
import { PriceTable, costOf } from "./price-table.js";

const usage = (inputTokens: number, outputTokens: number, cachedInputTokens = 0, cacheWriteTokens = 0) => ({ inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens });

test("costs are exact integers in nano-dollars", () => {
  const table = new PriceTable({ m: { input: 0.15, output: 0.6, cachedInput: 0.075 } });
  // 16 × 0.15 + 300 × 0.6 micro-dollars = 182.4 µ$ = 182,400 n$.
  expect(table.cost("m", usage(16, 300))).toBe(182_400);
  // Cached input at its own price; the rest at the input price.
  expect(table.cost("m", usage(1_000, 0, 400))).toBe(600 * 150 + 400 * 75);
  // Summing many small calls loses nothing: 1 token of $0.15/1M is 150 n$ exactly.
  expect(Array.from({ length: 1_000 }, () => table.cost("m", usage(1, 0))).reduce((a, b) => a + b)).toBe(150_000);
});

test("history: the price in force at the time of the call", () => {
  const table = new PriceTable({
    m: [
      { from: "2025-01-01", input: 1, output: 1 },
      { from: "2026-01-01", input: 2, output: 2 },
    ],
  });
  expect(table.cost("m", usage(1, 0), Date.parse("2025-06-01"))).toBe(1_000);
  expect(table.cost("m", usage(1, 0), Date.parse("2026-06-01"))).toBe(2_000);
});

test("config overrides shipped data: undated replaces, dated adds", () => {
  const shipped = { m: [{ from: "2025-01-01", input: 1, output: 1 }] };
  expect(new PriceTable(shipped, { m: { input: 5, output: 5 } }).cost("m", usage(1, 0), Date.parse("2025-06-01"))).toBe(5_000);
  const dated = new PriceTable(shipped, { m: { from: "2026-01-01", input: 3, output: 3 } });
  expect(dated.cost("m", usage(1, 0), Date.parse("2025-06-01"))).toBe(1_000);
  expect(dated.cost("m", usage(1, 0), Date.parse("2026-06-01"))).toBe(3_000);
});

test("the shipped table prices dated model snapshots by their family, and unknown models cost nothing", () => {
  const table = new PriceTable(PriceTable.shipped());
  expect(table.lookup("gpt-4.1-nano-2025-04-14")).toEqual(table.lookup("gpt-4.1-nano"));
  expect(table.cost("no-such-model", usage(1_000, 1_000))).toBe(0);
  expect(costOf(table.lookup("gpt-4o-mini")!, usage(1_000_000, 1_000_000))).toBe(750_000_000);
});

test("a model listed under its own name is priced by it; one that is not, by the first shorter name listed", () => {
  const table = new PriceTable({ "claude-x": { input: 1, output: 1 }, "claude-x@v2": { input: 2, output: 2 }, "eu.claude-x@v3": { input: 3, output: 3 } });
  expect(table.cost("claude-x@v2", usage(1, 0))).toBe(2_000);
  expect(table.cost("claude-x@v1", usage(1, 0))).toBe(1_000);
  expect(table.cost("eu.claude-x@v3", usage(1, 0))).toBe(3_000);
  expect(table.cost("eu.claude-x@v4", usage(1, 0))).toBe(1_000);
  expect(table.lookup("other")).toBeUndefined();
});
