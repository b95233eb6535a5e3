import { expect, test } from "vitest";
import { windowOf } from "./windows.js";

const at = Date.UTC(2026, 10, 21, 10, 7, 33, 250);

test("labels and bounds of each period", () => {
  expect(windowOf("minute", at)).toEqual({ start: Date.UTC(2026, 10, 21, 10, 7), end: Date.UTC(2026, 10, 21, 10, 8), label: "2026-11-21T10:07" });
  expect(windowOf("hour", at)).toEqual({ start: Date.UTC(2026, 10, 21, 10), end: Date.UTC(2026, 10, 21, 11), label: "2026-11-21T10" });
  expect(windowOf("day", at)).toEqual({ start: Date.UTC(2026, 10, 21), end: Date.UTC(2026, 10, 22), label: "2026-11-21" });
  expect(windowOf("month", at)).toEqual({ start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1), label: "2026-11" });
  expect(windowOf("total", at)).toEqual({ start: -Infinity, end: Infinity, label: "all" });
});

test("a window includes its start and excludes its end", () => {
  const start = Date.UTC(2026, 10, 21, 11);
  expect(windowOf("hour", start).label).toBe("2026-11-21T11");
  expect(windowOf("hour", start - 1).label).toBe("2026-11-21T10");
  expect(windowOf("minute", start - 1).end).toBe(start);
});

test("months have their calendar length, across years and leap days", () => {
  expect(windowOf("month", Date.UTC(2026, 11, 31, 23, 59))).toMatchObject({ end: Date.UTC(2027, 0, 1), label: "2026-12" });
  expect(windowOf("month", Date.UTC(2028, 1, 29, 12))).toMatchObject({ start: Date.UTC(2028, 1, 1), end: Date.UTC(2028, 2, 1), label: "2028-02" });
  expect(windowOf("day", Date.UTC(2028, 1, 29, 12)).label).toBe("2028-02-29");
});

test("times before 1970 fall in the right window", () => {
  expect(windowOf("hour", Date.UTC(1969, 11, 31, 23, 30))).toMatchObject({ start: Date.UTC(1969, 11, 31, 23), label: "1969-12-31T23" });
});

test("refuses a time that is not one", () => {
  expect(() => windowOf("day", Number.NaN)).toThrow(RangeError);
});
