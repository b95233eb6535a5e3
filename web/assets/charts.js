// @ts-check
/** Charts with uPlot (served by the gateway from node_modules/uplot, loaded as a global by index.html). */
import { h } from "./dom.js";

/** @typedef {import("uplot")} UPlot */
/** @typedef {import("uplot").Options} UPlotOptions */

/** @type {typeof import("uplot")} (a global: index.html loads vendor/uplot.js) */
const uPlot = globalThis.uPlot;

/** Distinct, colour-blind-friendly series colours (Okabe–Ito inspired), readable on white. */
export const PALETTE = ["#4338ca", "#0891b2", "#d97706", "#059669", "#db2777", "#7c3aed", "#65a30d", "#dc2626", "#64748b"];

const AXIS = { stroke: "#6b7280", grid: { stroke: "#eef0f3", width: 1 }, ticks: { stroke: "#e3e6eb", width: 1 }, font: "12px system-ui, sans-serif" };

/**
 * Keeps a chart as wide as its container.
 * @param {HTMLElement} el
 * @param {UPlot} chart
 * @param {number} height
 */
function fitToWidth(el, chart, height) {
  const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
  observer.observe(el);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}

/**
 * Stacked bars: one bar per bucket, one segment per series. Drawn as cumulative sums,
 * tallest first, so each segment shows its own share; the legend shows each series' own value.
 * @param {HTMLElement} el
 * @param {{ x: number[], series: { label: string, values: number[] }[], format: (v: number) => string, axisFormat: (v: number) => string, height?: number }} data x in epoch ms
 * @returns {() => void} cleanup
 */
export function stackedBars(el, data) {
  const height = data.height ?? 300;
  if (data.series.length === 0 || data.x.length === 0) {
    el.replaceChildren(h("div", { class: "chart-empty" }, "No requests in this range yet."));
    return () => {};
  }
  /** @type {number[][]} */
  const cumulative = [];
  let running = data.x.map(() => 0);
  for (const s of data.series) {
    running = running.map((v, i) => v + (s.values[i] ?? 0));
    cumulative.push(running);
  }
  const order = data.series.map((_, i) => data.series.length - 1 - i);
  const bucketWidth = data.x.length > 1 ? (data.x[1] - data.x[0]) / 1000 : 3600;
  /** @type {UPlotOptions} */
  const options = {
    width: Math.max(200, el.clientWidth),
    height,
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    scales: { x: { time: true, range: (_u, min, max) => [min - bucketWidth / 2, max + bucketWidth / 2] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    axes: [AXIS, { ...AXIS, size: 64, values: (_u, ticks) => ticks.map((t) => data.axisFormat(t)) }],
    series: [
      { label: "Time", value: (_u, v) => (v === null ? "–" : new Date(v * 1000).toLocaleString("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false })) },
      ...order.map((i) => ({
        label: data.series[i].label,
        fill: PALETTE[i % PALETTE.length],
        stroke: PALETTE[i % PALETTE.length],
        width: 0,
        paths: uPlot.paths.bars?.({ size: [0.72, 60], gap: 1 }),
        points: { show: false },
        value: (/** @type {UPlot} */ _u, /** @type {number | null} */ _v, /** @type {number} */ _si, /** @type {number | null} */ idx) =>
          idx === null ? "–" : data.format(data.series[i].values[idx] ?? 0),
      })),
    ],
  };
  const chart = new uPlot(options, [data.x.map((t) => t / 1000), ...order.map((i) => cumulative[i])], el);
  return fitToWidth(el, chart, height);
}

/**
 * Lines over time (gaps where a bucket has no value).
 * @param {HTMLElement} el
 * @param {{ x: number[], series: { label: string, values: (number | null)[], color: string, dash?: number[] }[], format: (v: number) => string, height?: number }} data x in epoch ms
 * @returns {() => void} cleanup
 */
export function lines(el, data) {
  const height = data.height ?? 260;
  if (data.x.length === 0 || data.series.every((s) => s.values.every((v) => v === null))) {
    el.replaceChildren(h("div", { class: "chart-empty" }, "No data in this range yet."));
    return () => {};
  }
  /** @type {UPlotOptions} */
  const options = {
    width: Math.max(200, el.clientWidth),
    height,
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [AXIS, { ...AXIS, size: 64, values: (_u, ticks) => ticks.map((t) => data.format(t)) }],
    series: [
      { label: "Time", value: (_u, v) => (v === null ? "–" : new Date(v * 1000).toLocaleString("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false })) },
      ...data.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        dash: s.dash ?? [],
        spanGaps: false,
        points: { show: true, size: 5, fill: s.color },
        value: (/** @type {UPlot} */ _u, /** @type {number | null} */ v) => (v === null ? "–" : data.format(v)),
      })),
    ],
  };
  const chart = new uPlot(options, [data.x.map((t) => t / 1000), ...data.series.map((s) => s.values)], el);
  return fitToWidth(el, chart, height);
}
