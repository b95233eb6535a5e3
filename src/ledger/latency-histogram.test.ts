import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { histogramPercentiles } from "./latency-histogram.js";
import { histogramPercentilesAsBefore } from "./test-support/previous-latency-query.js";

describe("histogram percentiles", () => {
  it("are the ones of the earlier three-pass reading, for any counts (zero and negative ones ignored)", () => {
    const histogram = fc.array(fc.tuple(fc.integer({ min: 0, max: 160 }), fc.integer({ min: -3, max: 1_000 })), { maxLength: 60 }).map((pairs) => new Map(pairs));
    fc.assert(
      fc.property(histogram, (h) => {
        expect(histogramPercentiles(h)).toEqual(histogramPercentilesAsBefore(h));
      }),
      { numRuns: 2_000 },
    );
    expect(histogramPercentiles(undefined)).toEqual({ p50: null, p90: null, p99: null });
  });
});
