// @ts-check
/** The dashboard shell: sign-in, navigation between pages (#/overview, ...), the shared top bar. */
import { ApiError, session, url } from "./api.js";
import { h, icon, replace } from "./dom.js";
import { auditPage } from "./pages/audit.js";
import { keysPage } from "./pages/keys.js";
import { overviewPage } from "./pages/overview.js";
import { performancePage } from "./pages/performance.js";
import { playgroundPage } from "./pages/playground.js";
import { requestsPage } from "./pages/requests.js";
import { teamsPage } from "./pages/teams.js";
import { rangePicker } from "./range.js";

/**
 * A page renders into `root` and returns a cleanup (timers, charts, streams). `needs` is the
 * endpoint it reads: the page is shown only to roles that may call it.
 * @typedef {{ id: string, title: string, subtitle: string, icon: string[], usesRange: boolean, needs?: string, render: (root: HTMLElement) => (() => void) }} Page
 */

/** @type {Page[]} */
const ALL_PAGES = [overviewPage, performancePage, requestsPage, keysPage, teamsPage, playgroundPage, auditPage];
/** @type {Page[]} */
let PAGES = ALL_PAGES;

const app = /** @type {HTMLElement} */ (document.getElementById("app"));
app.classList.remove("boot");

/** @type {(() => void) | undefined} */
let cleanup;

function currentPage() {
  const id = location.hash.replace(/^#\/?/, "");
  return PAGES.find((p) => p.id === id) ?? PAGES[0];
}

/** @param {string} [notice] shown above the form (e.g. after the key stopped working) */
function showLogin(notice) {
  cleanup?.();
  cleanup = undefined;
  const input = /** @type {HTMLInputElement} */ (
    h("input", { type: "password", id: "admin-key", name: "admin-key", autocomplete: "off", required: true, placeholder: "Admin key", spellcheck: "false" })
  );
  const message = h("div", { class: "alert error", role: "alert", id: "login-error", hidden: !notice }, notice ?? "");
  // Shown when the gateway has OpenID Connect configured: a plain link, the provider does the rest.
  const sso = h(
    "div",
    { class: "sso", hidden: true },
    h("a", { class: "button primary", id: "sso-sign-in", href: "auth/login" }, "Sign in with single sign-on"),
    h("p", { class: "muted small" }, "or with an admin key:"),
  );
  void fetch(url("dashboard/auth/status"), { cache: "no-store", credentials: "omit" })
    .then((res) => (res.ok ? res.json() : { sso: false }))
    .then((/** @type {{ sso: boolean }} */ status) => {
      sso.hidden = !status.sso;
    })
    .catch(() => {});
  const submit = /** @type {HTMLButtonElement} */ (h("button", { type: "submit", class: "primary" }, "Sign in"));
  const form = h(
    "form",
    {
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        submit.disabled = true;
        try {
          if (!(await session.start(key))) throw new ApiError(401, "rejected", null);
          showApp();
        } catch (err) {
          message.hidden = false;
          message.textContent = err instanceof ApiError && err.status === 401 ? "That admin key was not accepted." : `Could not reach the gateway: ${err instanceof Error ? err.message : String(err)}`;
          input.select();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("p", null, "Sign in with one of the gateway's admin keys (", h("code", null, "admin.keys"), " in its config). It is kept in this tab only."),
    sso,
    message,
    h("label", { class: "field", for: "admin-key" }, "Admin key", input),
    submit,
  );
  replace(app, h("div", { class: "login" }, h("div", { class: "card" }, brand(), h("h1", null, "Sign in"), h("div", { class: "login-body" }, form))));
  form.style.marginTop = "14px";
  input.focus();
}

function brand() {
  return h("div", { class: "brand" }, h("img", { src: "assets/logo.svg", alt: "" }), h("span", null, "Tollgate", h("small", null, "LLM gateway")));
}

function showApp() {
  const nav = h("nav", { class: "nav", "aria-label": "Pages" });
  const main = h("main", { class: "main" });
  const signOut = h("button", { type: "button", class: "ghost small", onclick: () => session.signOut() }, "Sign out");
  const me = session.me;
  PAGES = ALL_PAGES.filter((p) => !p.needs || session.can(p.needs));
  const who = me ? `${me.via === "session" ? (me.user_id ?? me.actor) : "an admin key"} · ${me.role.replace("_", " ")}${me.teams.length ? ` (${me.teams.join(", ")})` : ""}` : "";
  const layout = h(
    "div",
    { class: "layout" },
    h(
      "aside",
      { class: "sidebar" },
      h("div", { class: "sidebar-inner" }, brand(), nav, h("div", { class: "sidebar-foot" }, h("span", { class: "muted small", id: "signed-in-as" }, `Signed in as ${who}`), signOut)),
    ),
    main,
  );
  for (const page of PAGES) nav.append(h("a", { href: `#/${page.id}`, "data-page": page.id, title: page.title, "aria-label": page.title }, icon(page.icon), h("span", null, page.title)));
  replace(app, layout);

  const render = () => {
    cleanup?.();
    const page = currentPage();
    for (const link of nav.querySelectorAll("a")) {
      if (link.dataset.page === page.id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const body = h("div", { class: "page", "data-page": page.id });
    const refresh = h("button", { type: "button", class: "small", title: "Refresh", onclick: () => render() }, icon(["M20 12a8 8 0 1 1-2.34-5.66", "M20 4v5h-5"]), "Refresh");
    replace(
      main,
      h(
        "header",
        { class: "topbar" },
        h("div", { class: "title" }, h("h1", null, page.title), h("p", null, page.subtitle)),
        h("div", { class: "topbar-actions" }, page.usesRange ? rangePicker(render) : null, page.usesRange ? refresh : null),
      ),
      body,
    );
    document.title = `${page.title} · Tollgate`;
    cleanup = page.render(body);
  };
  window.onhashchange = render;
  render();
}

session.onSignOut((reason) => {
  window.onhashchange = null;
  showLogin(reason);
});

// `tollgate start` on loopback prints a sign-in link, /dashboard/#key=<one-time admin key>. A
// fragment never reaches a server; the key moves into this tab's session and out of the
// address bar and history.
const linkedKey = new URLSearchParams(location.hash.slice(1)).get("key");
if (linkedKey) history.replaceState(null, "", location.pathname + location.search);

// A linked key, else an admin key of this tab, else a single sign-on session cookie, else the sign-in screen.
session
  .start(linkedKey ?? session.key ?? undefined)
  .then((signedIn) => (signedIn ? showApp() : showLogin()))
  .catch((err) => showLogin(`Could not reach the gateway: ${err instanceof Error ? err.message : String(err)}`));
