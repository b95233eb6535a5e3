import { expect, test } from "vitest";
import { cacheDirective } from "./cache-control.js";

test.each([
  [undefined, { read: true, write: true }],
  ["no-store", { read: false, write: false }],
  ["No-Cache", { read: false, write: true }],
  ["no-cache, no-store", { read: false, write: false }],
  ["max-age=0", { read: false, write: true }],
  ["max-age=30", { read: true, write: true, maxAgeMs: 30_000 }],
  ["private, max-age=abc", { read: true, write: true }],
])("Cache-Control: %s", (header, expected) => {
  expect(cacheDirective(header)).toEqual(expected);
});
