// @ts-check
import { admin } from "../api.js";
import { card, h, replace } from "../dom.js";
import { ago, clock, count, dateTime, ms, usd } from "../format.js";
import { errorBox, table } from "../table.js";

const POLL_MS = 2000;
const LIMIT = 50;

/** @param {number} status */
function statusBadge(status) {
  return h("span", { class: `badge ${status >= 500 ? "bad" : status >= 400 ? "warn" : "ok"}` }, String(status));
}

/** @param {any} r a request from /admin/requests */
function keyLabel(r) {
  if (!r.key) return h("span", { class: "muted" }, "–");
  return r.key.name ?? r.key.prefix ?? r.key.id;
}

/**
 * @param {string} label
 * @param {import("../dom.js").Child | import("../dom.js").Child[]} value
 */
const field = (label, value) => h("div", null, h("dt", null, label), h("dd", null, value));

/**
 * The detail of one request with its attempts, in a dialog.
 * @param {string} id
 */
async function showDetail(id) {
  const body = h("div", { class: "dialog-body" }, h("p", { class: "muted" }, "Loading…"));
  const dialog = /** @type {HTMLDialogElement} */ (
    h(
      "dialog",
      { id: "request-detail", class: "wide", "aria-label": "Request detail" },
      h("div", { class: "dialog-head row" }, h("h2", null, "Request"), h("code", { class: "muted" }, id)),
      body,
      h("div", { class: "dialog-foot" }, h("button", { type: "button", onclick: () => dialog.close() }, "Close")),
    )
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  try {
    const r = await admin(`admin/requests/${encodeURIComponent(id)}`);
    const tags = Object.entries(r.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    replace(
      body,
      h(
        "dl",
        { class: "detail-grid" },
        field("Started", dateTime(r.started_at)),
        field("Status", [statusBadge(r.status), " ", r.outcome]),
        field("Error", r.error_code ?? "–"),
        field("Route", r.route ?? "–"),
        field("Key", keyLabel(r)),
        field("User", r.user_id ?? "–"),
        field("Team", r.team_id ?? "–"),
        field("End user", r.end_user ?? "–"),
        field("API", `${r.api}${r.stream ? " (stream)" : ""}`),
        field("Latency", ms(r.latency_ms)),
        field("TTFT", ms(r.ttft_ms)),
        field("Cost", usd(r.cost_nanos, { precise: true })),
        field(
          "Answered by",
          r.cache_kind ? `${r.cache_kind === "idempotent" ? "an idempotent replay" : `the ${r.cache_kind} cache`}, saving ${usd(r.saved_nanos, { precise: true })}` : "the upstream",
        ),
        field("Tokens in / out", `${count(r.input_tokens)} / ${count(r.output_tokens)}`),
        field("Cached / reasoning", `${count(r.cached_input_tokens)} / ${count(r.reasoning_tokens)}`),
        field("Usage", r.usage_source ?? "–"),
        field("Tags", tags || "–"),
      ),
      h("h3", null, `Attempts (${r.attempt_list.length})`),
      table(
        [
          { label: "#", num: true, cell: (/** @type {any} */ a) => String(a.attempt) },
          { label: "Provider", cell: (a) => h("b", null, a.provider) },
          { label: "Model", cell: (a) => a.model },
          { label: "Status", cell: (a) => h("span", { class: `badge ${a.status === "ok" ? "ok" : a.status === "error" ? "bad" : "warn"}` }, a.status) },
          { label: "Error", cell: (a) => (a.error_code ? `${a.error_code}${a.upstream_status ? ` (${a.upstream_status})` : ""}` : "–") },
          { label: "Duration", num: true, cell: (a) => ms(a.duration_ms) },
          { label: "TTFT", num: true, cell: (a) => ms(a.ttft_ms) },
          { label: "Tokens", num: true, cell: (a) => `${count(a.input_tokens)} / ${count(a.output_tokens)}` },
          { label: "Cost", num: true, cell: (a) => usd(a.cost_nanos, { precise: true }) },
        ],
        r.attempt_list,
        { empty: "No upstream attempt: the request was answered or refused by the gateway itself.", label: "Attempts", rowAttrs: (a) => ({ "data-attempt": String(a.attempt) }) },
      ),
    );
  } catch (err) {
    replace(body, errorBox(err));
  }
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const slot = h("div", { id: "requests-table" }, h("div", { class: "empty" }, "Loading…"));
  const dot = h("span", { class: "live-dot" });
  const status = h("span", { class: "small muted" }, "Live");
  const errorsOnly = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", id: "errors-only" }));
  const pause = h("button", { type: "button", class: "small", id: "pause-live" }, "Pause");
  /** @type {Set<string>} */
  let seen = new Set();
  let first = true;
  let paused = false;
  let alive = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    dot.classList.toggle("paused", paused);
    if (!paused) void poll();
  });
  errorsOnly.addEventListener("change", () => {
    first = true;
    void poll();
  });

  replace(
    root,
    card({
      title: "Live tail",
      subtitle: `The newest ${LIMIT} requests, refreshed every ${POLL_MS / 1000} s. Select one for its attempts.`,
      actions: [h("span", { class: "row" }, dot, status), h("label", { class: "check" }, errorsOnly, "Errors only"), pause],
      body: slot,
      id: "live-card",
    }),
  );

  async function poll() {
    clearTimeout(timer);
    try {
      const list = await admin("admin/requests", { query: { limit: LIMIT, errors: errorsOnly.checked } });
      if (!alive) return;
      const fresh = new Set(first ? [] : list.data.filter((/** @type {any} */ r) => !seen.has(r.id)).map((/** @type {any} */ r) => r.id));
      seen = new Set(list.data.map((/** @type {any} */ r) => r.id));
      first = false;
      status.textContent = `Updated ${clock(Date.now())}`;
      replace(
        slot,
        table(
          [
            { label: "Time", cell: (/** @type {any} */ r) => h("span", { title: dateTime(r.started_at) }, ago(r.started_at)) },
            { label: "Key", cell: (r) => keyLabel(r) },
            { label: "User", cell: (r) => r.user_id ?? "–", phoneHidden: true },
            { label: "Route", cell: (r) => r.route ?? "–" },
            { label: "Model", cell: (r) => r.model ?? "–" },
            { label: "Status", cell: (r) => [statusBadge(r.status), r.error_code ? h("span", { class: "small muted" }, ` ${r.error_code}`) : null] },
            { label: "Tokens", num: true, cell: (r) => count(r.input_tokens + r.output_tokens), phoneHidden: true },
            { label: "Cost", num: true, cell: (r) => usd(r.cost_nanos, { precise: true }) },
            { label: "Latency", num: true, cell: (r) => ms(r.latency_ms) },
          ],
          list.data,
          {
            empty: errorsOnly.checked ? "No failed requests yet." : "No requests yet: send one through the gateway (or the Playground).",
            label: "Recent requests",
            onRowClick: (r) => void showDetail(r.id),
            rowAttrs: (r) => ({ "data-request-id": r.id }),
          },
        ),
      );
      for (const row of slot.querySelectorAll("tr[data-request-id]")) if (fresh.has(/** @type {HTMLElement} */ (row).dataset.requestId ?? "")) row.classList.add("fresh");
    } catch (err) {
      if (alive) replace(slot, errorBox(err));
    }
    if (alive && !paused) timer = setTimeout(() => void poll(), POLL_MS);
  }
  void poll();

  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

export const requestsPage = {
  id: "requests",
  needs: "GET /admin/requests",
  title: "Requests",
  subtitle: "Every call through the gateway, as the ledger records it",
  icon: ["M4 6h16", "M4 12h16", "M4 18h10"],
  usesRange: false,
  render,
};
