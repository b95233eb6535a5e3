// @ts-check
/** Building DOM without HTML strings: every value goes in as text, so ledger data can never inject markup. */

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props] `class`, `on<event>` handlers, DOM properties (value, checked, ...) or attributes
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (name === "class") el.className = String(value);
    else if (typeof value !== "string" && name in el) /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {(Child | Child[])[]} children
 */
function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "number" ? String(child) : child);
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...(Child | Child[])} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * An inline SVG icon from a path list (24×24, stroked).
 * @param {string[]} paths
 */
export function icon(paths) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.8");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/**
 * A card with a heading, an optional subtitle and actions.
 * @param {{ title: string, subtitle?: string, actions?: Child[], body: Child | Child[], id?: string }} options
 */
export function card({ title, subtitle, actions = [], body, id }) {
  return h(
    "section",
    { class: "card", id },
    h("div", { class: "card-head" }, h("div", null, h("h2", null, title), subtitle ? h("p", null, subtitle) : null), actions.length ? h("div", { class: "row" }, ...actions) : null),
    h("div", { class: "card-body" }, body),
  );
}

/**
 * A segmented control; calls `onChange` with the chosen value.
 * @param {{ value: string, label: string }[]} options
 * @param {string} selected
 * @param {(value: string) => void} onChange
 * @param {string} label accessible name
 */
export function segmented(options, selected, onChange, label) {
  const group = h("div", { class: "segmented", role: "group", "aria-label": label });
  for (const option of options) {
    const button = h("button", { type: "button", "aria-pressed": String(option.value === selected), "data-value": option.value }, option.label);
    button.addEventListener("click", () => {
      for (const b of group.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
      onChange(option.value);
    });
    group.append(button);
  }
  return group;
}

/**
 * A usage meter: a bar and "used of limit".
 * @param {number} used
 * @param {number} limit
 * @param {string} caption
 * @param {string} detail
 */
export function meter(used, limit, caption, detail) {
  const ratio = limit > 0 ? used / limit : 0;
  const fill = h("div", { class: `fill${ratio >= 0.9 ? " bad" : ratio >= 0.7 ? " warn" : ""}` });
  fill.style.width = `${Math.min(100, Math.max(ratio > 0 ? 2 : 0, ratio * 100)).toFixed(1)}%`;
  return h(
    "div",
    { class: "meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": String(limit), "aria-valuenow": String(used), "aria-label": caption },
    h("div", { class: "caption" }, h("span", null, caption), h("span", { class: "muted" }, detail)),
    h("div", { class: "track" }, fill),
  );
}
