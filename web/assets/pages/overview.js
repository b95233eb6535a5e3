// @ts-check
import { admin } from "../api.js";
import { PALETTE, stackedBars } from "../charts.js";
import { card, h, replace, segmented } from "../dom.js";
import { compact, count, percent, usd, usdTick } from "../format.js";
import { bucketsOf, currentRange, rangeQuery } from "../range.js";
import { errorBox, table } from "../table.js";
import { alertsCard } from "./alerts-card.js";

/**
 * @typedef {{ group: string | null, requests: number, input_tokens: number, output_tokens: number, cost_nanos: number, saved_nanos?: number }} UsageRow
 * @typedef {UsageRow & { bucket: string }} UsagePoint
 */

const GROUPS = [
  { value: "model", label: "Model" },
  { value: "key", label: "Key" },
  { value: "user", label: "User" },
  { value: "team", label: "Team" },
  { value: "route", label: "Route" },
  { value: "tag", label: "Tag" },
];
const METRICS = {
  spend: { label: "Spend", of: (/** @type {UsageRow} */ r) => r.cost_nanos, format: (/** @type {number} */ v) => usd(v, { precise: true }), axis: usdTick },
  tokens: { label: "Tokens", of: (/** @type {UsageRow} */ r) => r.input_tokens + r.output_tokens, format: count, axis: compact },
  requests: { label: "Requests", of: (/** @type {UsageRow} */ r) => r.requests, format: count, axis: compact },
};
/** Series beyond this many are summed into "Other", so the chart stays readable. */
const MAX_SERIES = 8;

/** Kept while switching pages. */
const view = { metric: /** @type {keyof typeof METRICS} */ ("spend"), groupBy: "model", tag: "" };

/**
 * @param {string} label
 * @param {string} value
 * @param {string} sub
 * @param {string} id
 */
function stat(label, value, sub, id) {
  return h("div", { class: "card stat", "data-stat": id }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), h("div", { class: "sub" }, sub));
}

/**
 * @param {any} s the /admin/summary body
 */
function stats(s) {
  const tokens = s.input_tokens + s.output_tokens;
  return h(
    "div",
    { class: "stats" },
    stat("Spend", usd(s.cost_nanos), `${usd(s.requests ? s.cost_nanos / s.requests : 0, { precise: true })} per request`, "spend"),
    stat("Requests", count(s.requests), `${count(s.errors)} failed`, "requests"),
    stat("Tokens", compact(tokens), `${compact(s.input_tokens)} in · ${compact(s.output_tokens)} out`, "tokens"),
    stat("Error rate", percent(s.error_rate), "status 400 and above", "error-rate"),
    stat("Cache savings", usd(s.saved_nanos), `${count(s.cache_hits)} cache hits`, "savings"),
  );
}

/**
 * Display names for groups: a key's name (or prefix) instead of its id, "(none)" for no value.
 * @param {string} groupBy
 * @returns {Promise<(group: string | null) => string>}
 */
async function labeller(groupBy) {
  if (groupBy !== "key") return (g) => g ?? "(none)";
  const keys = await admin("admin/keys", { query: { include_revoked: true } });
  /** @type {Map<string, string>} */
  const names = new Map(keys.data.map((/** @type {any} */ k) => [k.id, k.name ?? k.prefix]));
  return (g) => (g === null ? "(none)" : (names.get(g) ?? g));
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const range = currentRange();
  const q = rangeQuery(range);
  const statsSlot = h("div", { class: "stats-slot" });
  const chartEl = h("div", { class: "chart", id: "spend-chart" });
  const breakdown = h("div");
  const tagSelect = /** @type {HTMLSelectElement} */ (h("select", { "aria-label": "Tag name", hidden: view.groupBy !== "tag" }));
  const groupSelect = /** @type {HTMLSelectElement} */ (
    h("select", { "aria-label": "Stack by", id: "group-by" }, ...GROUPS.map((g) => h("option", { value: g.value, selected: g.value === view.groupBy }, `By ${g.label.toLowerCase()}`)))
  );
  let disposeChart = () => {};
  let alive = true;

  const metricControl = segmented(
    Object.entries(METRICS).map(([value, m]) => ({ value, label: m.label })),
    view.metric,
    (value) => {
      view.metric = /** @type {keyof typeof METRICS} */ (value);
      void draw();
    },
    "Metric",
  );
  groupSelect.addEventListener("change", () => {
    view.groupBy = groupSelect.value;
    tagSelect.hidden = view.groupBy !== "tag";
    void draw();
  });
  tagSelect.addEventListener("change", () => {
    view.tag = tagSelect.value;
    void draw();
  });

  const chartCard = card({
    title: "Usage over time",
    subtitle: `${q.granularity === "hour" ? "Hourly" : "Daily"} buckets, stacked by ${view.groupBy}`,
    actions: [metricControl, groupSelect, tagSelect],
    body: chartEl,
    id: "usage-card",
  });
  replace(root, h("div", { class: "stack" }, statsSlot, chartCard, card({ title: "Breakdown", subtitle: "Totals for the selected range", body: breakdown, id: "breakdown-card" }), alertsCard()));

  async function draw() {
    const subtitle = chartCard.querySelector(".card-head p");
    if (subtitle) subtitle.textContent = `${q.granularity === "hour" ? "Hourly" : "Daily"} buckets, stacked by ${view.groupBy === "tag" ? `tag ${view.tag || "…"}` : view.groupBy}`;
    if (view.groupBy === "tag" && !view.tag) {
      disposeChart();
      replace(chartEl, h("div", { class: "chart-empty" }, "No tags in this range: requests carry tags from their key or the x-tollgate-tags header."));
      replace(breakdown);
      return;
    }
    try {
      const [usage, label] = await Promise.all([admin("admin/usage", { query: { ...q, group_by: view.groupBy, tag: view.groupBy === "tag" ? view.tag : undefined } }), labeller(view.groupBy)]);
      if (!alive) return;
      drawChart(usage, label);
      drawBreakdown(usage, label);
    } catch (err) {
      if (alive) replace(chartEl, errorBox(err));
    }
  }

  /**
   * @param {{ totals: UsageRow[], series: UsagePoint[] }} usage
   * @param {(g: string | null) => string} label
   */
  function drawChart(usage, label) {
    const metric = METRICS[view.metric];
    const ranked = [...usage.totals].sort((a, b) => metric.of(b) - metric.of(a));
    const top = ranked.slice(0, ranked.length > MAX_SERIES ? MAX_SERIES - 1 : MAX_SERIES).map((t) => t.group);
    const x = bucketsOf(range, q.granularity);
    const index = new Map(x.map((t, i) => [t, i]));
    /** @type {Map<string | null, number[]>} */
    const values = new Map(top.map((g) => [g, x.map(() => 0)]));
    const other = x.map(() => 0);
    for (const point of usage.series) {
      const i = index.get(Date.parse(point.bucket));
      if (i === undefined) continue;
      const row = values.get(point.group) ?? other;
      row[i] = (row[i] ?? 0) + metric.of(point);
    }
    const series = top.map((g) => ({ label: label(g), values: values.get(g) ?? [] }));
    if (ranked.length > top.length) series.push({ label: "Other", values: other });
    disposeChart();
    chartEl.replaceChildren();
    disposeChart = stackedBars(chartEl, { x, series, format: metric.format, axisFormat: metric.axis });
  }

  /**
   * @param {{ totals: UsageRow[] }} usage
   * @param {(g: string | null) => string} label
   */
  function drawBreakdown(usage, label) {
    const total = usage.totals.reduce((sum, t) => sum + t.cost_nanos, 0);
    const metric = METRICS[view.metric];
    const ranked = [...usage.totals].sort((a, b) => metric.of(b) - metric.of(a));
    replace(
      breakdown,
      table(
        [
          {
            label: GROUPS.find((g) => g.value === view.groupBy)?.label ?? "Group",
            cell: (/** @type {UsageRow} */ r) => {
              const swatch = h("span", { class: "swatch" });
              const i = ranked.indexOf(r);
              swatch.style.background = i < MAX_SERIES - (ranked.length > MAX_SERIES ? 1 : 0) ? PALETTE[i % PALETTE.length] : PALETTE[PALETTE.length - 1];
              return [swatch, label(r.group)];
            },
          },
          { label: "Requests", num: true, cell: (r) => count(r.requests) },
          { label: "Input tokens", num: true, cell: (r) => count(r.input_tokens) },
          { label: "Output tokens", num: true, cell: (r) => count(r.output_tokens) },
          { label: "Spend", num: true, cell: (r) => usd(r.cost_nanos, { precise: true }) },
          { label: "Share of spend", num: true, cell: (r) => percent(total ? r.cost_nanos / total : 0) },
        ],
        ranked,
        { empty: "No requests in this range yet.", label: "Usage breakdown" },
      ),
    );
  }

  void (async () => {
    try {
      const summary = await admin("admin/summary", { query: { from: q.from, to: q.to } });
      if (!alive) return;
      replace(statsSlot, stats(summary));
      replace(tagSelect, ...summary.tag_names.map((/** @type {string} */ n) => h("option", { value: n, selected: n === view.tag }, n)));
      if (!summary.tag_names.includes(view.tag)) view.tag = summary.tag_names[0] ?? "";
    } catch (err) {
      if (alive) replace(statsSlot, errorBox(err));
    }
    await draw();
  })();

  return () => {
    alive = false;
    disposeChart();
  };
}

export const overviewPage = {
  id: "overview",
  needs: "GET /admin/summary",
  title: "Overview",
  subtitle: "Spend, tokens and traffic through the gateway",
  icon: ["M4 19h16", "M7 16V9", "M12 16V5", "M17 16v-4"],
  usesRange: true,
  render,
};
