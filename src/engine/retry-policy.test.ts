import { describe, expect, test } from "vitest";
import { parseRetryAfter, retryDelay } from "./retry-policy.js";

const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

describe("parseRetryAfter", () => {
  test("prefers retry-after-ms", () => {
    expect(parseRetryAfter({ "retry-after-ms": "1500", "retry-after": "9" })).toBe(1500);
  });
  test("reads seconds", () => {
    expect(parseRetryAfter({ "retry-after": "2" })).toBe(2000);
    expect(parseRetryAfter({ "retry-after": "0.5" })).toBe(500);
  });
  test("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-11-21T10:00:00Z");
    expect(parseRetryAfter({ "retry-after": "Sat, 21 Nov 2026 10:00:07 GMT" }, now)).toBe(7000);
    expect(parseRetryAfter({ "retry-after": "Sat, 21 Nov 2026 09:00:00 GMT" }, now)).toBe(0);
  });
  test("ignores garbage and absence", () => {
    expect(parseRetryAfter({ "retry-after": "soon" })).toBeUndefined();
    expect(parseRetryAfter({ "retry-after-ms": "-5" })).toBeUndefined();
    expect(parseRetryAfter({})).toBeUndefined();
  });
});

describe("retryDelay", () => {
  test("full jitter stays within the exponential ceiling", () => {
    expect(retryDelay(0, undefined, policy, () => 0.999)).toBe(99);
    expect(retryDelay(2, undefined, policy, () => 0.999)).toBe(399);
    expect(retryDelay(10, undefined, policy, () => 0.999)).toBe(999);
    expect(retryDelay(3, undefined, policy, () => 0)).toBe(0);
  });
  test("honours the upstream's wait up to the cap, and declines beyond it", () => {
    expect(retryDelay(0, 1_200, policy)).toBe(1_200);
    expect(retryDelay(0, 5_001, policy)).toBeNull();
  });
});
