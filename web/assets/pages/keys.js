// @ts-check
import { admin, session, url } from "../api.js";
import { card, h, icon, meter, replace } from "../dom.js";
import { amountIn, count, dateTime } from "../format.js";
import { forgetKey, rememberKey } from "../secrets.js";
import { errorBox, table } from "../table.js";

/**
 * @typedef {{ period: string, usd?: number, tokens?: number }} KeyBudget
 * @typedef {{ budgets?: KeyBudget[], rpm?: number, tpm?: number }} Limits
 * @typedef {{ id: string, prefix: string, name: string | null, user_id: string, team_id: string | null, allowed_models: string[] | null, limits: Limits, status: string, created_at: string }} Key
 * @typedef {{ source: string, scope: string, rule_id: string, subject: string, period: string, unit: string, limit: number, spent: number, reserved: number, resets_at: string | null }} Budget
 */

const PERIODS = ["hour", "day", "month", "total"];
const view = { showRevoked: false };

/** @param {Budget} b */
export function budgetMeter(b) {
  const used = b.spent + b.reserved;
  const window = { minute: "per minute", hour: "this hour", day: "today", month: "this month", total: "in total" }[b.period] ?? b.period;
  const detail = `${b.unit === "usd" ? amountIn(used, b.unit) : count(used)} of ${amountIn(b.limit, b.unit)}`;
  return meter(used, b.limit, `${b.unit === "requests" ? "Requests" : b.unit === "tokens" ? "Tokens" : "Spend"} ${window}`, detail);
}

/**
 * A dialog appended to the page and removed when closed.
 * @param {string} title
 * @param {HTMLElement} body
 * @param {HTMLElement[]} buttons
 * @param {string} id
 */
export function openDialog(title, body, buttons, id) {
  const foot = h("div", { class: "dialog-foot" }, ...buttons);
  const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { id, "aria-label": title }, h("div", { class: "dialog-head" }, h("h2", null, title)), body, foot));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, foot };
}

/**
 * Inputs for a key's limits: budget rows (period, USD, tokens) and rate limits.
 * @param {Limits} limits
 */
export function limitsEditor(limits) {
  const rows = h("div", { class: "budget-rows" });
  /** @param {KeyBudget} [budget] */
  const addRow = (budget) => {
    const row = h(
      "div",
      { class: "budget-row" },
      h("select", { "aria-label": "Period", name: "period" }, ...PERIODS.map((p) => h("option", { value: p, selected: p === (budget?.period ?? "day") }, p))),
      h("input", { type: "number", name: "usd", min: "0", step: "any", placeholder: "USD", "aria-label": "Budget in USD", value: budget?.usd === undefined ? "" : String(budget.usd) }),
      h("input", { type: "number", name: "tokens", min: "1", step: "1", placeholder: "Tokens", "aria-label": "Budget in tokens", value: budget?.tokens === undefined ? "" : String(budget.tokens) }),
      h("button", { type: "button", class: "ghost small", title: "Remove", "aria-label": "Remove budget", onclick: () => row.remove() }, "✕"),
    );
    rows.append(row);
  };
  for (const b of limits.budgets ?? []) addRow(b);
  const rpm = /** @type {HTMLInputElement} */ (h("input", { type: "number", min: "1", step: "1", name: "rpm", placeholder: "No limit", value: limits.rpm === undefined ? "" : String(limits.rpm) }));
  const tpm = /** @type {HTMLInputElement} */ (h("input", { type: "number", min: "1", step: "1", name: "tpm", placeholder: "No limit", value: limits.tpm === undefined ? "" : String(limits.tpm) }));
  const element = h(
    "div",
    { class: "stack" },
    h(
      "div",
      null,
      h("div", { class: "row" }, h("h3", null, "Budgets"), h("button", { type: "button", class: "small", id: "add-budget", onclick: () => addRow() }, "+ Add budget")),
      h("p", { class: "small muted" }, "Each budget limits spend (USD), tokens, or both, per UTC hour, day, month or in total."),
    ),
    rows,
    h("div", { class: "form-grid" }, h("label", { class: "field" }, "Requests per minute", rpm), h("label", { class: "field" }, "Tokens per minute", tpm)),
  );
  /** @returns {Limits} */
  const read = () => {
    /** @type {Limits} */
    const out = {};
    const budgets = [...rows.querySelectorAll(".budget-row")].map((row) => {
      const value = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (row.querySelector(`[name=${name}]`)).value.trim();
      /** @type {KeyBudget} */
      const b = { period: value("period") };
      if (value("usd") !== "") b.usd = Number(value("usd"));
      if (value("tokens") !== "") b.tokens = Number(value("tokens"));
      return b;
    });
    if (budgets.length) out.budgets = budgets;
    if (rpm.value.trim() !== "") out.rpm = Number(rpm.value);
    if (tpm.value.trim() !== "") out.tpm = Number(tpm.value);
    return out;
  };
  return { element, read };
}

/**
 * Shows a new key's secret once, with a copy button.
 * @param {HTMLElement} body
 * @param {HTMLElement} foot
 * @param {{ key: Key, secret: string }} created
 * @param {() => void} done
 */
function showSecret(body, foot, created, done) {
  const secret = h("code", { id: "new-key-secret" }, created.secret);
  const copied = h("span", { class: "small muted", role: "status" });
  const copy = h("button", { type: "button", id: "copy-secret" }, icon(["M9 9h10v10H9z", "M5 15V5h10"]), "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      copied.textContent = "Copied to the clipboard.";
    } catch {
      // No clipboard permission (e.g. plain http on another host): select it for a manual copy.
      getSelection()?.selectAllChildren(secret);
      copied.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
  replace(
    body,
    h("div", { class: "alert warn" }, "Copy this secret now: it is shown only once and cannot be recovered."),
    h("div", { class: "secret" }, secret, copy),
    copied,
    h(
      "p",
      { class: "small muted" },
      "Use it as the API key of any OpenAI-compatible client with base URL ",
      h("code", null, url("v1")),
      ". It stays available in the Playground until this tab reloads.",
    ),
  );
  const tryIt = () => {
    done();
    location.hash = "#/playground";
  };
  replace(foot, h("button", { type: "button", onclick: tryIt }, "Try it in the Playground"), h("button", { type: "button", class: "primary", onclick: done }, "Done"));
}

/** @param {() => void} reload */
async function createKeyDialog(reload) {
  // Without the route list the key is simply not restricted to some routes.
  /** @type {{ data: { id: string }[] }} */
  const models = await fetch(url("v1/models"), { cache: "no-store" })
    .then((r) => r.json())
    .catch(() => ({ data: [] }));
  const name = /** @type {HTMLInputElement} */ (h("input", { name: "name", placeholder: "e.g. search-backend", maxlength: "256" }));
  const user = /** @type {HTMLInputElement} */ (h("input", { name: "user_id", required: true, placeholder: "e.g. alice", maxlength: "256" }));
  const team = /** @type {HTMLInputElement} */ (h("input", { name: "team_id", placeholder: "Optional", maxlength: "256" }));
  const modelBoxes = models.data.map((/** @type {{ id: string }} */ m) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "model", value: m.id }), m.id));
  const limits = limitsEditor({});
  const error = h("div", { class: "alert error", role: "alert", hidden: true });
  const form = h(
    "div",
    { class: "dialog-body" },
    error,
    h(
      "div",
      { class: "form-grid" },
      h("label", { class: "field" }, "Name", name),
      h("label", { class: "field" }, h("span", null, "User id ", h("span", { class: "hint" }, "(required)")), user),
      h("label", { class: "field" }, "Team id", team),
      h("div", { class: "field wide" }, h("span", null, "Allowed models ", h("span", { class: "hint" }, "(none checked: all)")), h("div", { class: "row" }, ...modelBoxes)),
    ),
    limits.element,
  );
  const submit = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary", id: "create-key-submit" }, "Create key"));
  const cancel = h("button", { type: "button" }, "Cancel");
  const { dialog, foot } = openDialog("Create a key", form, [cancel, submit], "create-key");
  cancel.addEventListener("click", () => dialog.close());
  submit.addEventListener("click", async () => {
    /** @type {Record<string, unknown>} */
    const body = { user_id: user.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (team.value.trim()) body.team_id = team.value.trim();
    /** @type {HTMLInputElement[]} */
    const boxes = modelBoxes.map((/** @type {HTMLElement} */ b) => /** @type {HTMLInputElement} */ (b.querySelector("input")));
    const allowed = boxes.filter((i) => i.checked).map((i) => i.value);
    if (allowed.length) body.allowed_models = allowed;
    const l = limits.read();
    if (Object.keys(l).length) body.limits = l;
    submit.disabled = true;
    try {
      const created = await admin("admin/keys", { method: "POST", body });
      rememberKey({ id: created.key.id, label: created.key.name ?? created.key.prefix, secret: created.secret });
      showSecret(form, foot, created, () => dialog.close());
      dialog.addEventListener("close", reload);
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
      submit.disabled = false;
    }
  });
  user.focus();
}

/**
 * @param {Key} key
 * @param {() => void} reload
 */
function editLimitsDialog(key, reload) {
  const limits = limitsEditor(key.limits);
  const error = h("div", { class: "alert error", role: "alert", hidden: true });
  const body = h("div", { class: "dialog-body" }, h("p", { class: "muted" }, "Limits of ", h("b", null, key.name ?? key.id), ". Changes apply to the next request."), error, limits.element);
  const save = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary", id: "save-limits" }, "Save limits"));
  const cancel = h("button", { type: "button" }, "Cancel");
  const { dialog } = openDialog("Edit limits", body, [cancel, save], "edit-limits");
  cancel.addEventListener("click", () => dialog.close());
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      await admin(`admin/keys/${encodeURIComponent(key.id)}`, { method: "PATCH", body: { limits: limits.read() } });
      dialog.close();
      reload();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
      save.disabled = false;
    }
  });
}

/**
 * @param {Key} key
 * @param {() => void} reload
 */
function revokeDialog(key, reload) {
  const error = h("div", { class: "alert error", role: "alert", hidden: true });
  const body = h(
    "div",
    { class: "dialog-body" },
    h("p", null, "Revoke ", h("b", null, key.name ?? key.id), " (", h("code", null, key.prefix), ")? Requests with it are refused at once. This cannot be undone."),
    error,
  );
  const confirm = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "danger solid", id: "confirm-revoke" }, "Revoke key"));
  const cancel = h("button", { type: "button" }, "Cancel");
  const { dialog } = openDialog("Revoke key", body, [cancel, confirm], "revoke-key");
  cancel.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      await admin(`admin/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
      forgetKey(key.id);
      dialog.close();
      reload();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
      confirm.disabled = false;
    }
  });
}

/** @param {string} status */
const statusBadge = (status) => h("span", { class: `badge ${status === "active" ? "ok" : status === "revoked" ? "bad" : "warn"}` }, status);

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const keysSlot = h("div", { id: "keys-table" }, h("div", { class: "empty" }, "Loading…"));
  const rulesSlot = h("div", { id: "rules-table" });
  // Only what the role may do is offered (the API refuses the rest anyway).
  const create = session.can("POST /admin/keys") ? h("button", { type: "button", class: "primary", id: "create-key" }, "+ Create key") : null;
  const revoked = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", checked: view.showRevoked }));
  const storeNote = h("span");
  let alive = true;
  create?.addEventListener("click", () => void createKeyDialog(load));
  revoked.addEventListener("change", () => {
    view.showRevoked = revoked.checked;
    void load();
  });
  replace(
    root,
    h(
      "div",
      { class: "stack" },
      card({
        title: "Virtual keys",
        subtitle: "Client keys with their owner, models and limits; usage is for the current window.",
        actions: [h("label", { class: "check" }, revoked, "Show revoked"), create],
        body: keysSlot,
        id: "keys-card",
      }),
      card({
        title: "Budget rules",
        subtitle: "From the gateway config (budgets.rules) and the limits of teams and users: each subject's counter in its current window.",
        actions: [storeNote],
        body: rulesSlot,
        id: "rules-card",
      }),
    ),
  );

  async function load() {
    try {
      const [keys, budgets] = await Promise.all([admin("admin/keys", { query: { include_revoked: view.showRevoked } }), admin("admin/budgets")]);
      if (!alive) return;
      /** @type {Budget[]} */
      const lines = budgets.data;
      storeNote.textContent = `Counters: ${budgets.store}`;
      storeNote.className = "badge";
      replace(
        keysSlot,
        table(
          [
            { label: "Key", cell: (/** @type {Key} */ k) => h("div", null, h("div", null, h("b", null, k.name ?? "(unnamed)")), h("code", { class: "muted" }, k.prefix)) },
            { label: "Owner", cell: (k) => h("div", null, h("div", null, k.user_id), k.team_id ? h("div", { class: "small muted" }, `team ${k.team_id}`) : null) },
            { label: "Models", cell: (k) => (k.allowed_models ? k.allowed_models.join(", ") : h("span", { class: "muted" }, "all")) },
            {
              label: "Limits and usage",
              wide: true,
              cell: (k) => {
                const own = lines.filter((b) => b.source === "key" && b.subject === k.id);
                return own.length ? h("div", { class: "stack" }, ...own.map(budgetMeter)) : h("span", { class: "muted" }, k.status === "active" ? "No limits" : "–");
              },
            },
            { label: "Status", cell: (k) => statusBadge(k.status) },
            { label: "Created", cell: (k) => dateTime(k.created_at) },
            {
              label: "",
              wide: true,
              cell: (k) =>
                k.status === "revoked" || !session.can("PATCH /admin/keys/:id")
                  ? null
                  : h(
                      "div",
                      { class: "row" },
                      h("button", { type: "button", class: "small", "data-action": "edit", onclick: () => editLimitsDialog(k, load) }, "Edit limits"),
                      h("button", { type: "button", class: "small danger", "data-action": "revoke", onclick: () => revokeDialog(k, load) }, "Revoke"),
                    ),
            },
          ],
          keys.data,
          { empty: "No virtual keys yet. Create one to give a client its own budget.", label: "Keys", rowAttrs: (k) => ({ "data-key-id": k.id }) },
        ),
      );
      replace(
        rulesSlot,
        table(
          [
            {
              label: "Applies to",
              cell: (/** @type {Budget} */ b) =>
                h("div", null, h("b", null, `${b.scope} ${b.subject}`), b.rule_id !== b.subject ? h("div", { class: "small muted" }, `rule ${b.scope} ${b.rule_id}`) : null),
            },
            { label: "Usage", cell: (b) => budgetMeter(b), wide: true },
            { label: "Reserved now", num: true, cell: (b) => amountIn(b.reserved, b.unit) },
            { label: "Resets", cell: (b) => (b.resets_at ? dateTime(b.resets_at) : "never") },
          ],
          lines.filter((b) => b.source !== "key"),
          { empty: "No budget rules in the config, or no subject has used one in its current window.", label: "Budget rules" },
        ),
      );
    } catch (err) {
      if (alive) replace(keysSlot, errorBox(err));
    }
  }
  void load();
  return () => {
    alive = false;
  };
}

export const keysPage = {
  id: "keys",
  needs: "GET /admin/keys",
  title: "Keys & budgets",
  subtitle: "Create, limit and revoke client keys; see what each budget has used",
  icon: ["M12 15.5a4.5 4.5 0 1 1-9 0 4.5 4.5 0 0 1 9 0z", "M10.7 12.3 20 3", "M17 6l3 3", "M14.5 8.5l2 2"],
  usesRange: false,
  render,
};
