import { expect, test } from "vitest";
import { formatUsd, nanosNumber } from "./money.js";
import { parseInstant } from "../admin/time.js";

test("formatUsd: nano-dollars to 6 decimals, rounded half away from zero, exact for large values", () => {
  expect(formatUsd(0)).toBe("0.000000");
  expect(formatUsd(499)).toBe("0.000000");
  expect(formatUsd(500)).toBe("0.000001");
  expect(formatUsd(1_234_567)).toBe("0.001235");
  expect(formatUsd(1_000_000_000)).toBe("1.000000");
  expect(formatUsd(4_500_000_001)).toBe("4.500000");
  expect(formatUsd(-1_500)).toBe("-0.000002");
  expect(formatUsd(-400)).toBe("0.000000");
  expect(formatUsd("123456789012345678901")).toBe("123456789012.345679");
  expect(formatUsd(12_345_678_901_234_567n)).toBe("12345678.901235");
  expect(nanosNumber("42")).toBe(42);
});

test("parseInstant: ISO dates and times (UTC unless an offset is given) and epoch seconds or milliseconds", () => {
  expect(parseInstant("2026-11-21", "from")).toBe(Date.UTC(2026, 10, 21));
  expect(parseInstant("2026-11-21T08:00", "from")).toBe(Date.UTC(2026, 10, 21, 8));
  expect(parseInstant("2026-11-21T08:00:00.5Z", "from")).toBe(Date.UTC(2026, 10, 21, 8, 0, 0, 500));
  expect(parseInstant("2026-11-21T08:00:00-01:00", "from")).toBe(Date.UTC(2026, 10, 21, 9));
  expect(parseInstant("1795248000", "from")).toBe(1_795_248_000_000);
  expect(parseInstant("1795248000000", "from")).toBe(1_795_248_000_000);
  expect(() => parseInstant("last week", "from")).toThrow(/from/);
  expect(() => parseInstant("2026-02-30T99:00", "to")).toThrow(/to/);
});
