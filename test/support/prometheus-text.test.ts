import { describe, expect, it } from "vitest";
import { parsePrometheusText, sumOf } from "./prometheus-text.js";

describe("parsePrometheusText", () => {
  it("reads counters, gauges and histograms with escaped label values", () => {
    const text = [
      "# HELP a_total Things.",
      "# TYPE a_total counter",
      'a_total{route="x",msg="say \\"hi\\"\\n"} 3',
      'a_total{route="y"} 1.5e2',
      "# TYPE h histogram",
      'h_bucket{le="+Inf"} 2',
      "h_sum 0.3",
      "h_count 2",
      "# TYPE g gauge",
      "g NaN",
      "",
    ].join("\n");
    const parsed = parsePrometheusText(text);
    expect(parsed.samples[0]).toEqual({ name: "a_total", labels: { route: "x", msg: 'say "hi"\n' }, value: 3 });
    expect(sumOf(parsed, "a_total")).toBe(153);
    expect(sumOf(parsed, "h_count")).toBe(2);
  });

  it.each([
    ["a sample without a TYPE", "x 1"],
    ["a bad value", "# TYPE x counter\nx one"],
    ["an unquoted label", "# TYPE x counter\nx{a=b} 1"],
    ["a stray comment", "# hello"],
    ["a histogram suffix on a counter", "# TYPE x counter\nx_bucket 1"],
    ["a repeated TYPE", "# TYPE x counter\n# TYPE x counter"],
  ])("rejects %s", (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
