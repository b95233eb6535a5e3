import { describe, expect, it } from "vitest";
import { newRequestId } from "./request-id.js";

describe("newRequestId", () => {
  it("is req_, the time in base 36 and 12 random hex digits", () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    expect(newRequestId(at)).toMatch(new RegExp(`^req_${at.toString(36)}[0-9a-f]{12}$`));
  });

  it("sorts by time and does not repeat across many pool refills", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newRequestId(1_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.map((id) => id.slice(0, -12))).toEqual([...ids.map((id) => id.slice(0, -12))].sort());
  });
});
