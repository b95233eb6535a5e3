// @ts-check
import { admin, adminResponse } from "../api.js";
import { card, h, replace } from "../dom.js";
import { dateTime } from "../format.js";
import { errorBox, table } from "../table.js";

/**
 * @typedef {{ seq: number, at: string, actor: string, actor_role: string, via: string, source: string | null, request_id: string, action: string, resource: string, resource_id: string | null, status: number, before: unknown, after: unknown, hash: string }} Entry
 */

const PAGE_SIZE = 100;
const view = { actor: "", action: "", resource: "" };

/** The filters as query parameters (empty ones left out). */
const filters = () => ({ actor: view.actor || undefined, action: view.action || undefined, resource: view.resource || undefined });

/** @param {unknown} value */
const json = (value) => (value === null || value === undefined ? h("span", { class: "muted" }, "–") : h("pre", { class: "audit-json" }, JSON.stringify(value, null, 2)));

/** @param {Entry} e */
function detail(e) {
  return h(
    "div",
    { class: "audit-detail", id: "audit-detail" },
    h("p", null, h("b", null, `#${e.seq} ${e.action}`), ` by ${e.actor}, request ${e.request_id}, hash ${e.hash.slice(0, 16)}…`),
    h("div", null, h("h3", null, "Before"), json(e.before)),
    h("div", null, h("h3", null, "After"), json(e.after)),
  );
}

/** Saves the filtered log as JSON lines (fetched with the page's credentials, then handed to the browser as a file). */
async function exportLines() {
  const res = await adminResponse("admin/audit/export", { query: filters() });
  const link = h("a", { href: URL.createObjectURL(await res.blob()), download: "tollgate-audit.jsonl" });
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const slot = h("div", { id: "audit-table" }, h("div", { class: "empty" }, "Loading…"));
  const detailSlot = h("div", null, h("div", { class: "empty" }, "Select an entry to see the record before and after."));
  const more = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "small", hidden: true }, "Older entries"));
  /** @param {keyof typeof view} name @param {string} placeholder */
  const input = (name, placeholder) => {
    const el = /** @type {HTMLInputElement} */ (h("input", { type: "search", id: `audit-${name}`, placeholder, "aria-label": placeholder, value: view[name], spellcheck: "false" }));
    el.addEventListener("change", () => {
      view[name] = el.value.trim();
      void load();
    });
    return el;
  };
  const exportButton = h("button", { type: "button", class: "small", id: "audit-export", onclick: () => void exportLines().catch((err) => replace(slot, errorBox(err))) }, "Export JSON lines");
  let alive = true;
  /** @type {Entry[]} */
  let shown = [];
  replace(
    root,
    h(
      "div",
      { class: "stack" },
      card({
        title: "Audit log",
        subtitle: "Every change made through the admin API, newest first; each entry is chained to the one before it (tollgate audit verify).",
        actions: [input("actor", "Actor"), input("action", "Action (keys.create)"), input("resource", "Resource (teams)"), exportButton],
        body: [slot, more],
        id: "audit-card",
      }),
      card({ title: "Change", subtitle: "The record before and after, as the log keeps it (secrets are never stored).", body: detailSlot, id: "audit-change" }),
    ),
  );

  /** @param {number} [beforeSeq] */
  async function load(beforeSeq) {
    try {
      const page = await admin("admin/audit", { query: { ...filters(), limit: PAGE_SIZE, before_seq: beforeSeq } });
      if (!alive) return;
      shown = beforeSeq === undefined ? page.data : [...shown, ...page.data];
      more.hidden = page.next_before_seq === null;
      more.onclick = () => void load(page.next_before_seq);
      replace(
        slot,
        table(
          [
            { label: "#", num: true, cell: (/** @type {Entry} */ e) => String(e.seq) },
            { label: "When", cell: (e) => dateTime(e.at) },
            { label: "Actor", cell: (e) => h("div", null, h("div", null, e.actor), h("div", { class: "small muted" }, `${e.actor_role.replace("_", " ")} · ${e.via}`)) },
            { label: "Action", cell: (e) => h("div", null, h("b", null, e.action), e.resource_id ? h("div", { class: "small muted" }, e.resource_id) : null) },
            { label: "Status", cell: (e) => h("span", { class: `badge ${e.status < 400 ? "ok" : "bad"}` }, String(e.status)) },
            { label: "Source", phoneHidden: true, cell: (e) => e.source ?? "–" },
          ],
          shown,
          {
            empty: "No admin changes recorded yet (or none match the filters).",
            label: "Audit log",
            rowAttrs: (e) => ({ "data-seq": String(e.seq) }),
            onRowClick: (e) => replace(detailSlot, detail(e)),
          },
        ),
      );
    } catch (err) {
      if (alive) replace(slot, errorBox(err));
    }
  }
  void load();
  return () => {
    alive = false;
  };
}

export const auditPage = {
  id: "audit",
  needs: "GET /admin/audit",
  title: "Audit log",
  subtitle: "Who changed keys, budgets, teams, users and roles, and when",
  icon: ["M9 5h10M9 12h10M9 19h10", "M5 5h.01M5 12h.01M5 19h.01"],
  usesRange: false,
  render,
};
