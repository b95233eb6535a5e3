// @ts-check
import { admin, session } from "../api.js";
import { card, h, replace } from "../dom.js";
import { dateTime } from "../format.js";
import { errorBox, table } from "../table.js";
import { budgetMeter, limitsEditor, openDialog } from "./keys.js";

/**
 * @typedef {import("./keys.js").Limits} Limits
 * @typedef {import("./keys.js").Budget} Budget
 * @typedef {{ id: string, name: string | null, allowed_models: string[] | null, tags: Record<string, string>, limits: Limits, status: string, created_at: string }} Team
 * @typedef {Team & { email: string | null, role: string, teams: string[] }} User
 */

/** @param {string} status */
const statusBadge = (status) => h("span", { class: `badge ${status === "active" ? "ok" : "bad"}` }, status);

/** @param {Record<string, string>} tags */
const tagList = (tags) =>
  Object.keys(tags).length
    ? Object.entries(tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")
    : h("span", { class: "muted" }, "none");

/**
 * Create a team, or change one's limits.
 * @param {Team | undefined} team
 * @param {() => void} reload
 */
function teamDialog(team, reload) {
  const id = /** @type {HTMLInputElement} */ (h("input", { name: "id", required: true, placeholder: "e.g. search", maxlength: "256" }));
  const name = /** @type {HTMLInputElement} */ (h("input", { name: "name", placeholder: "Optional", maxlength: "256", value: team?.name ?? "" }));
  const limits = limitsEditor(team?.limits ?? {});
  const error = h("div", { class: "alert error", role: "alert", hidden: true });
  const body = h(
    "div",
    { class: "dialog-body" },
    h("p", { class: "muted" }, "A team's budgets and rate limits hold all of its keys together."),
    error,
    h(
      "div",
      { class: "form-grid" },
      team ? null : h("label", { class: "field" }, h("span", null, "Team id ", h("span", { class: "hint" }, "(required)")), id),
      h("label", { class: "field" }, "Name", name),
    ),
    limits.element,
  );
  const save = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary", id: "save-team" }, team ? "Save team" : "Create team"));
  const cancel = h("button", { type: "button" }, "Cancel");
  const { dialog } = openDialog(team ? `Team ${team.id}` : "Create a team", body, [cancel, save], "team-dialog");
  cancel.addEventListener("click", () => dialog.close());
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      const fields = { name: name.value.trim() || (team ? null : undefined), limits: limits.read() };
      if (team) await admin(`admin/teams/${encodeURIComponent(team.id)}`, { method: "PATCH", body: fields });
      else await admin("admin/teams", { method: "POST", body: { id: id.value.trim(), ...fields } });
      dialog.close();
      reload();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
      save.disabled = false;
    }
  });
  (team ? name : id).focus();
}

const ROLES = ["owner", "team_admin", "member", "viewer"];

/**
 * Add a user, or change one's role and teams (audited as users.role).
 * @param {User | undefined} user
 * @param {() => void} reload
 */
function userDialog(user, reload) {
  const id = /** @type {HTMLInputElement} */ (h("input", { name: "id", required: true, placeholder: "e.g. alice@example.com", maxlength: "256" }));
  const role = /** @type {HTMLSelectElement} */ (
    h("select", { name: "role", "aria-label": "Role" }, ...ROLES.map((r) => h("option", { value: r, selected: r === (user?.role ?? "member") }, r.replace("_", " "))))
  );
  const teams = /** @type {HTMLInputElement} */ (h("input", { name: "teams", placeholder: "e.g. search, ads", value: user?.teams.join(", ") ?? "" }));
  const error = h("div", { class: "alert error", role: "alert", hidden: true });
  const body = h(
    "div",
    { class: "dialog-body" },
    h("p", { class: "muted" }, "The role applies to keys' owners and to people without a role from single sign-on, at their next sign-in."),
    error,
    h(
      "div",
      { class: "form-grid" },
      user ? null : h("label", { class: "field" }, h("span", null, "User id ", h("span", { class: "hint" }, "(required)")), id),
      h("label", { class: "field" }, "Role", role),
      h("label", { class: "field" }, "Teams (comma-separated)", teams),
    ),
  );
  const save = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary", id: "save-user" }, user ? "Save user" : "Add user"));
  const cancel = h("button", { type: "button" }, "Cancel");
  const { dialog } = openDialog(user ? `User ${user.id}` : "Add a user", body, [cancel, save], "user-dialog");
  cancel.addEventListener("click", () => dialog.close());
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      const fields = {
        role: role.value,
        teams: teams.value
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean),
      };
      if (user) await admin(`admin/users/${encodeURIComponent(user.id)}`, { method: "PATCH", body: fields });
      else await admin("admin/users", { method: "POST", body: { id: id.value.trim(), ...fields } });
      dialog.close();
      reload();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
      save.disabled = false;
    }
  });
  (user ? role : id).focus();
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const teamsSlot = h("div", { id: "teams-table" }, h("div", { class: "empty" }, "Loading…"));
  const usersSlot = h("div", { id: "users-table" });
  const manage = session.can("POST /admin/teams");
  const create = manage ? h("button", { type: "button", class: "primary", id: "create-team", onclick: () => teamDialog(undefined, load) }, "+ Create team") : null;
  const addUser = session.can("POST /admin/users") ? h("button", { type: "button", id: "add-user", onclick: () => userDialog(undefined, load) }, "+ Add user") : null;
  let alive = true;
  replace(
    root,
    h(
      "div",
      { class: "stack" },
      card({
        title: "Teams",
        subtitle: "Budgets, rate limits, models and default tags shared by each team's keys; usage is for the current window.",
        actions: [create],
        body: teamsSlot,
        id: "teams-card",
      }),
      card({ title: "Users", subtitle: "People and their roles; a person signed in with single sign-on gets a record at the first sign-in.", actions: [addUser], body: usersSlot, id: "users-card" }),
    ),
  );

  /**
   * @param {Team} team
   * @param {boolean} disabled
   */
  async function setDisabled(team, disabled) {
    try {
      await admin(`admin/teams/${encodeURIComponent(team.id)}`, { method: "PATCH", body: { disabled } });
      void load();
    } catch (err) {
      replace(teamsSlot, errorBox(err));
    }
  }

  async function load() {
    try {
      const [teams, users, budgets] = await Promise.all([
        admin("admin/teams", { query: { include_disabled: true } }),
        admin("admin/users", { query: { include_disabled: true } }),
        admin("admin/budgets"),
      ]);
      if (!alive) return;
      /** @type {Budget[]} */
      const lines = budgets.data;
      replace(
        teamsSlot,
        table(
          [
            { label: "Team", cell: (/** @type {Team} */ t) => h("div", null, h("b", null, t.id), t.name ? h("div", { class: "small muted" }, t.name) : null) },
            { label: "Models", cell: (t) => (t.allowed_models ? t.allowed_models.join(", ") : h("span", { class: "muted" }, "all")) },
            { label: "Default tags", phoneHidden: true, cell: (t) => tagList(t.tags) },
            {
              label: "Limits and usage",
              wide: true,
              cell: (t) => {
                const own = lines.filter((b) => b.source === "team" && b.subject === t.id);
                return own.length ? h("div", { class: "stack" }, ...own.map(budgetMeter)) : h("span", { class: "muted" }, "No limits");
              },
            },
            { label: "Status", cell: (t) => statusBadge(t.status) },
            {
              label: "",
              wide: true,
              cell: (t) =>
                manage
                  ? h(
                      "div",
                      { class: "row" },
                      h("button", { type: "button", class: "small", "data-action": "edit", onclick: () => teamDialog(t, load) }, "Edit"),
                      t.status === "active"
                        ? h("button", { type: "button", class: "small danger", "data-action": "disable", onclick: () => void setDisabled(t, true) }, "Disable")
                        : h("button", { type: "button", class: "small", "data-action": "enable", onclick: () => void setDisabled(t, false) }, "Enable"),
                    )
                  : null,
            },
          ],
          teams.data,
          { empty: "No teams yet.", label: "Teams", rowAttrs: (t) => ({ "data-team-id": t.id }) },
        ),
      );
      replace(
        usersSlot,
        table(
          [
            { label: "User", cell: (/** @type {User} */ u) => h("div", null, h("b", null, u.id), u.name && u.name !== u.id ? h("div", { class: "small muted" }, u.name) : null) },
            { label: "Role", cell: (u) => u.role.replace("_", " ") },
            { label: "Teams", cell: (u) => (u.teams.length ? u.teams.join(", ") : h("span", { class: "muted" }, "none")) },
            { label: "Status", cell: (u) => statusBadge(u.status) },
            { label: "Since", phoneHidden: true, cell: (u) => dateTime(u.created_at) },
            {
              label: "",
              cell: (u) => (session.can("PATCH /admin/users/:id") ? h("button", { type: "button", class: "small", "data-action": "edit-user", onclick: () => userDialog(u, load) }, "Edit") : null),
            },
          ],
          users.data,
          { empty: "No user records yet.", label: "Users", rowAttrs: (u) => ({ "data-user-id": u.id }) },
        ),
      );
    } catch (err) {
      if (alive) replace(teamsSlot, errorBox(err));
    }
  }
  void load();
  return () => {
    alive = false;
  };
}

export const teamsPage = {
  id: "teams",
  needs: "GET /admin/teams",
  title: "Teams & users",
  subtitle: "Who spends through the gateway, with each team's shared limits",
  icon: ["M16 19v-1a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v1", "M9 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M22 19v-1a4 4 0 0 0-3-3.87", "M16 4.13a3 3 0 0 1 0 5.74"],
  usesRange: false,
  render,
};
