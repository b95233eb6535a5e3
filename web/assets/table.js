// @ts-check
import { h } from "./dom.js";

/**
 * @template T
 * `wide` cells span the row on phones (meters, actions); `phoneHidden` ones are left out there.
 * @typedef {{ label: string, cell: (row: T) => import("./dom.js").Child | import("./dom.js").Child[], num?: boolean, title?: string, wide?: boolean, phoneHidden?: boolean }} Column
 */

/** @param {{ num?: boolean, wide?: boolean, phoneHidden?: boolean }} c */
const cellClass = (c) => [c.num && "num", c.wide && "wide", c.phoneHidden && "phone-hidden"].filter(Boolean).join(" ") || null;

/**
 * A readable table in a horizontally scrollable wrapper (wide tables scroll inside their card, never the page).
 * @template T
 * @param {Column<T>[]} columns
 * @param {T[]} rows
 * @param {{ empty?: string, onRowClick?: (row: T) => void, rowAttrs?: (row: T) => Record<string, string>, label?: string }} [options]
 */
export function table(columns, rows, options = {}) {
  if (rows.length === 0) return h("div", { class: "empty" }, options.empty ?? "Nothing here yet.");
  const head = h("tr", null, ...columns.map((c) => h("th", { class: cellClass(c), scope: "col", title: c.title }, c.label)));
  const body = h("tbody");
  for (const row of rows) {
    const onRowClick = options.onRowClick;
    const tr = h(
      "tr",
      { ...options.rowAttrs?.(row), class: onRowClick ? "clickable" : null, tabindex: onRowClick ? "0" : null },
      ...columns.map((c) => h("td", { class: cellClass(c), "data-label": c.label }, c.cell(row))),
    );
    if (onRowClick) {
      tr.addEventListener("click", () => onRowClick(row));
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter") onRowClick(row);
      });
    }
    body.append(tr);
  }
  return h("div", { class: "table-wrap" }, h("table", { "aria-label": options.label }, h("thead", null, head), body));
}

/**
 * An error box for a failed load.
 * @param {unknown} err
 */
export function errorBox(err) {
  return h("div", { class: "alert error", role: "alert" }, err instanceof Error ? err.message : String(err));
}
