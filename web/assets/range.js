// @ts-check
import { h, segmented } from "./dom.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PRESETS = { "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY };

/**
 * @typedef {{ preset: "24h" | "7d" | "30d" | "custom", from: number, to: number }} Range
 * @typedef {{ from: string, to: string, granularity: "hour" | "day" }} RangeQuery
 */

/** The range every page shares (kept while switching pages). @type {Range} */
const state = { preset: "24h", from: 0, to: 0 };

/** The current range; presets end now, so each refresh includes the latest requests. @returns {Range} */
export function currentRange() {
  if (state.preset === "custom") return { ...state };
  const to = Date.now();
  return { preset: state.preset, from: to - PRESETS[state.preset], to };
}

/** Hourly buckets up to three days, daily beyond. @param {Range} range @returns {RangeQuery} */
export function rangeQuery(range) {
  return { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), granularity: range.to - range.from <= 3 * DAY ? "hour" : "day" };
}

/** Every bucket start (epoch ms) in the range, aligned as the server aligns them (UTC). @param {Range} range @param {"hour" | "day"} granularity */
export function bucketsOf(range, granularity) {
  const size = granularity === "hour" ? HOUR : DAY;
  const out = [];
  for (let at = Math.floor(range.from / size) * size; at < range.to; at += size) out.push(at);
  return out;
}

/** @param {number} ms */
const localInput = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/**
 * The range picker: presets and a custom from/to. Calls `onChange` after each change.
 * @param {() => void} onChange
 */
export function rangePicker(onChange) {
  const initial = currentRange();
  const from = /** @type {HTMLInputElement} */ (h("input", { type: "datetime-local", "aria-label": "From", value: localInput(initial.from) }));
  const to = /** @type {HTMLInputElement} */ (h("input", { type: "datetime-local", "aria-label": "To", value: localInput(initial.to) }));
  const error = h("span", { class: "small", role: "alert" });
  error.style.color = "var(--bad)";
  const apply = h("button", { type: "button", class: "small primary" }, "Apply");
  const custom = h("div", { class: "custom-range", hidden: state.preset !== "custom" }, from, h("span", { class: "muted" }, "→"), to, apply, error);
  apply.addEventListener("click", () => {
    const f = new Date(from.value).getTime();
    const t = new Date(to.value).getTime();
    if (!Number.isFinite(f) || !Number.isFinite(t) || f >= t) {
      error.textContent = "Choose a start before the end.";
      return;
    }
    error.textContent = "";
    Object.assign(state, { preset: "custom", from: f, to: t });
    onChange();
  });
  const presets = segmented(
    [
      { value: "24h", label: "24h" },
      { value: "7d", label: "7d" },
      { value: "30d", label: "30d" },
      { value: "custom", label: "Custom" },
    ],
    state.preset,
    (value) => {
      custom.hidden = value !== "custom";
      if (value === "custom") return;
      state.preset = /** @type {Range["preset"]} */ (value);
      onChange();
    },
    "Date range",
  );
  return h("div", { class: "row" }, presets, custom);
}
