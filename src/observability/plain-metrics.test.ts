import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { PlainCounter, PlainHistogram } from "./plain-metrics.js";

const BUCKETS = [0.1, 1, 10];
const latencies = [0.05, 0.1, 0.7, 3, 99, 0.2];

describe("plain metrics", () => {
  it("expose exactly what prom-client's own counter and histogram expose for the same updates", async () => {
    const own = new Registry();
    const counter = new Counter({ name: "t_requests_total", help: "Requests.", labelNames: ["route", "status", "stream"], registers: [own] });
    const histogram = new Histogram({ name: "t_duration_seconds", help: "Latency.", labelNames: ["route", "model"], buckets: BUCKETS, registers: [own] });
    const plain = new Registry();
    const plainCounter = new PlainCounter(plain, "t_requests_total", "Requests.", ["route", "status", "stream"]);
    const plainHistogram = new PlainHistogram(plain, "t_duration_seconds", "Latency.", ["route", "model"], BUCKETS);
    latencies.forEach((seconds, i) => {
      const route = i % 2 ? "fast" : 'odd "route"\\';
      counter.labels(route, String(200 + (i % 3)), String(i % 2 === 0)).inc(i);
      plainCounter.inc([route, 200 + (i % 3), i % 2 === 0], i);
      histogram.labels(route, "m").observe(seconds);
      plainHistogram.observe([route, "m"], seconds);
    });
    expect(await plain.metrics()).toBe(await own.metrics());
    plain.resetMetrics();
    // incEach: the same series, made in the same order, as one inc per last label value.
    const each = new Registry();
    const eachCounter = new PlainCounter(each, "t_tokens_total", "Tokens.", ["route", "model", "type"]);
    const oneByOne = new Registry();
    const oneByOneCounter = new PlainCounter(oneByOne, "t_tokens_total", "Tokens.", ["route", "model", "type"]);
    latencies.forEach((_, i) => {
      const route = i % 2 ? "fast" : "slow";
      eachCounter.incEach([route, "m"], ["input", "output", i % 3 ? "reasoning" : "input"], [i, 2 * i, 1]);
      for (const [type, by] of [
        ["input", i],
        ["output", 2 * i],
        [i % 3 ? "reasoning" : "input", 1],
      ] as const)
        oneByOneCounter.inc([route, "m", type], by);
    });
    expect(await each.metrics()).toBe(await oneByOne.metrics());
    expect(await each.metrics()).toContain('t_tokens_total{route="slow",model="m",type="input"} 7');
    expect(await plain.metrics()).toBe("# HELP t_requests_total Requests.\n# TYPE t_requests_total counter\n\n# HELP t_duration_seconds Latency.\n# TYPE t_duration_seconds histogram\n");
  });
});
