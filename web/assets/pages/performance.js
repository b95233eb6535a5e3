// @ts-check
import { admin } from "../api.js";
import { lines } from "../charts.js";
import { card, h, meter, replace, segmented } from "../dom.js";
import { count, ms, percent } from "../format.js";
import { bucketsOf, currentRange, rangeQuery } from "../range.js";
import { errorBox, table } from "../table.js";

/** @typedef {{ p50: number | null, p90: number | null, p99: number | null }} Percentiles */

const LEVELS = /** @type {const} */ ([
  { key: "p50", label: "p50", color: "#4338ca", dash: [] },
  { key: "p90", label: "p90", color: "#d97706", dash: [6, 4] },
  { key: "p99", label: "p99", color: "#dc2626", dash: [2, 3] },
]);

const view = { groupBy: "route" };

/**
 * p50 / p90 / p99 of one measure over the buckets of the range.
 * @param {HTMLElement} el
 * @param {number[]} x
 * @param {Map<number, Percentiles>} byBucket
 */
function percentileChart(el, x, byBucket) {
  return lines(el, {
    x,
    series: LEVELS.map((l) => ({ label: l.label, color: l.color, dash: [...l.dash], values: x.map((t) => byBucket.get(t)?.[l.key] ?? null) })),
    format: ms,
  });
}

/** @param {Percentiles} p */
const triple = (p) => `${ms(p.p50)} · ${ms(p.p90)} · ${ms(p.p99)}`;

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const range = currentRange();
  const q = rangeQuery(range);
  const latencyEl = h("div", { class: "chart", id: "latency-chart" });
  const ttftEl = h("div", { class: "chart", id: "ttft-chart" });
  const groupsSlot = h("div");
  const providersSlot = h("div");
  /** @type {(() => void)[]} */
  let disposers = [];
  let alive = true;

  const groupControl = segmented(
    [
      { value: "route", label: "Route" },
      { value: "model", label: "Model" },
      { value: "provider", label: "Provider" },
    ],
    view.groupBy,
    (value) => {
      view.groupBy = value;
      void load();
    },
    "Group by",
  );

  replace(
    root,
    h(
      "div",
      { class: "stack" },
      h(
        "div",
        { class: "grid-2" },
        card({ title: "Latency", subtitle: "Whole request, percentiles per bucket", body: latencyEl }),
        card({ title: "Time to first token", subtitle: "Streams that produced content", body: ttftEl }),
      ),
      card({ title: "Percentiles by group", subtitle: "p50 · p90 · p99, exact over the range", actions: [groupControl], body: groupsSlot, id: "groups-card" }),
      card({ title: "Providers", subtitle: "Upstream attempts: errors, retries on the same target, fallbacks to the next", body: providersSlot, id: "providers-card" }),
    ),
  );

  async function load() {
    try {
      const perf = await admin("admin/performance", { query: { ...q, group_by: view.groupBy } });
      if (!alive) return;
      for (const dispose of disposers) dispose();
      latencyEl.replaceChildren();
      ttftEl.replaceChildren();
      const x = bucketsOf(range, q.granularity);
      /** @type {Map<number, Percentiles>} */
      const latency = new Map(perf.series.map((/** @type {any} */ p) => [Date.parse(p.bucket), p.latency_ms]));
      /** @type {Map<number, Percentiles>} */
      const ttft = new Map(perf.series.map((/** @type {any} */ p) => [Date.parse(p.bucket), p.ttft_ms]));
      disposers = [percentileChart(latencyEl, x, latency), percentileChart(ttftEl, x, ttft)];
      replace(
        groupsSlot,
        table(
          [
            { label: view.groupBy[0].toUpperCase() + view.groupBy.slice(1), cell: (/** @type {any} */ g) => g.group ?? "(none)" },
            { label: "Requests", num: true, cell: (g) => count(g.requests) },
            { label: "Error rate", num: true, cell: (g) => h("span", { class: `badge ${g.error_rate >= 0.05 ? "bad" : g.error_rate > 0 ? "warn" : "ok"}` }, percent(g.error_rate)) },
            { label: "Latency p50 · p90 · p99", num: true, cell: (g) => triple(g.latency_ms) },
            { label: "TTFT p50 · p90 · p99", num: true, cell: (g) => triple(g.ttft_ms) },
          ],
          perf.groups,
          { empty: "No requests in this range yet.", label: "Percentiles by group" },
        ),
      );
      replace(
        providersSlot,
        table(
          [
            { label: "Provider", cell: (/** @type {any} */ p) => h("b", null, p.provider) },
            { label: "Attempts", num: true, cell: (p) => count(p.attempts) },
            { label: "Errors", wide: true, cell: (p) => meter(p.errors, p.attempts, percent(p.error_rate), `${count(p.errors)} of ${count(p.attempts)}`) },
            { label: "Retried", num: true, cell: (p) => `${count(p.retries)} · ${percent(p.retry_rate)}` },
            { label: "Fell back", num: true, cell: (p) => `${count(p.fallbacks)} · ${percent(p.fallback_rate)}` },
          ],
          perf.providers,
          { empty: "No upstream attempts in this range yet.", label: "Providers" },
        ),
      );
    } catch (err) {
      if (alive) replace(groupsSlot, errorBox(err));
    }
  }
  void load();

  return () => {
    alive = false;
    for (const dispose of disposers) dispose();
  };
}

export const performancePage = {
  id: "performance",
  needs: "GET /admin/performance",
  title: "Performance",
  subtitle: "Latency, time to first token and provider health",
  icon: ["M3 12h4l3-8 4 16 3-8h4"],
  usesRange: true,
  render,
};
