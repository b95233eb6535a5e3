import { describe, expect, it } from "vitest";
import { BoundedMemo } from "./bounded-memo.js";

describe("BoundedMemo", () => {
  it("holds at most its weight however many new keys come, the newest kept", () => {
    const memo = new BoundedMemo<number>(1_000, (key) => key.length);
    const keys = Array.from({ length: 10_000 }, (_, i) => `k${String(i).padStart(4, "0")}`); // 5 characters each
    for (const [i, key] of keys.entries()) memo.set(key, i);
    const newest = keys.slice(-100);
    expect(newest.map((k) => memo.get(k))).toEqual(newest.map((_, i) => keys.length - 100 + i));
    const held = keys.filter((k) => memo.get(k) !== undefined).length;
    expect(held).toBeLessThanOrEqual(1_000 / 5);
    expect(memo.get("unknown")).toBeUndefined();
  });

  it("keeps an entry that keeps being read while new keys stream past", () => {
    const memo = new BoundedMemo<string>(100, () => 1);
    memo.set("hot", "kept");
    for (let i = 0; i < 5_000; i++) {
      memo.set(`cold ${i}`, "x");
      if (i % 40 === 0) expect(memo.get("hot")).toBe("kept");
    }
    expect(memo.get("cold 0")).toBeUndefined();
  });
});
