import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGateway, type Gateway } from "../../src/gateway.js";
import { launchBrowser, type TestBrowser } from "../support/browser.js";
import { startIdp, type TestIdp } from "../support/oidc-provider.js";

// Dashboard sign-in with OpenID Connect in a real Chromium against a real OpenID provider
// (oidc-provider, on 127.0.0.1): authorization code with PKCE, groups mapped to roles and
// teams, the session cookie's flags as the browser stored them (Secure works on
// http://127.0.0.1, a secure context), CSRF protection, the role enforced in the UI and
// the API, sign-out, a refused sign-in, and admin keys still working beside it all.

const OWNER_KEY = "adm-sso-owner-0123456789abcdef";
const CLIENT_ID = "tollgate-dashboard";
const UI_TIMEOUT = 20_000;

let server: Server;
let origin: string;
let idp: TestIdp;
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  // The gateway's address is known before its config: the IdP must register its callback.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redirectUri = `${origin}/dashboard/auth/callback`;
  idp = await startIdp({
    clientId: CLIENT_ID,
    redirectUri,
    accounts: { olivia: { groups: ["tollgate-owners"] }, rita: { groups: ["staff", "red-admins"] }, nina: { groups: ["staff"] } },
  });
  gateway = createGateway({
    config: {
      database: { url: "sqlite::memory:" },
      admin: {
        keys: ["env:OWNER_KEY"],
        oidc: {
          issuer: idp.issuer,
          clientId: CLIENT_ID,
          redirectUri,
          scopes: ["openid", "email", "profile", "groups"],
          roles: [
            { value: "tollgate-owners", role: "owner" },
            { value: "red-admins", role: "team_admin", teams: ["red"] },
          ],
        },
      },
      providers: { sim: { type: "simulator", ttftMs: 0 } },
      models: { fast: { targets: [{ provider: "sim", model: "sim" }] } },
    },
    env: { OWNER_KEY },
    logger: false,
  });
  server.on("request", gateway.handler);
  // Keys of two teams, made with the owner's admin key.
  for (const [user, team] of [
    ["alice", "red"],
    ["bob", "blue"],
  ] as const) {
    const res = await request(`${origin}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${OWNER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: user, team_id: team, name: `${user}-app` }),
    });
    expect(res.statusCode).toBe(201);
    await res.body.dump();
  }
  browser = await launchBrowser(origin);
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });
  await idp?.close();
});

/** From the dashboard's sign-in screen through the provider's login and consent pages, back to the dashboard. */
async function signInAs(login: string): Promise<void> {
  // The provider's own session from an earlier sign-in would skip its login page (its
  // cookies share the host 127.0.0.1 with the gateway's: cookies ignore ports).
  await browser.context.clearCookies();
  await page.goto(`${origin}/dashboard/`);
  await page.locator("#sso-sign-in").click({ timeout: UI_TIMEOUT });
  await page.locator("input[name=login]").fill(login, { timeout: UI_TIMEOUT });
  await page.locator("input[name=password]").fill("any password");
  await page.locator("button[type=submit]").click();
  // The consent page (first sign-in of this account only).
  const consent = page.locator("button:has-text('Continue')");
  await Promise.race([consent.waitFor({ timeout: UI_TIMEOUT }).then(() => consent.click()), page.waitForURL(`${origin}/dashboard/**`, { timeout: UI_TIMEOUT })]);
}

/** A call the page itself makes with its cookie (what a forged cross-site request could not add: the CSRF header). */
const navPages = async () => Promise.all((await page.locator("nav a").all()).map((a) => a.getAttribute("data-page")));

/** An admin answer as these tests read it. */
type PageBody = { error?: { code: string }; csrf_token?: string; data: Record<string, unknown>[] } & Record<string, unknown>;

/** The page's global scope, typed for the little these tests use of it. */
type PageGlobals = { location: { origin: string }; document: { cookie: string } };

const pageFetch = (path: string, init: { method?: string; csrf?: string | null; body?: unknown } = {}) =>
  page.evaluate(
    async ({ path, init }) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (init.csrf) headers["x-csrf-token"] = init.csrf;
      const res = await fetch(new URL(path, (globalThis as unknown as PageGlobals).location.origin), {
        method: init.method ?? "GET",
        headers,
        credentials: "same-origin",
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as PageBody | null };
    },
    { path, init },
  );

describe("single sign-on in Chromium", () => {
  test("an owner signs in through the provider (code + PKCE); the session cookie is HttpOnly, Secure and SameSite=Strict", async () => {
    await signInAs("olivia");
    await page.locator("#signed-in-as").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator("#signed-in-as").textContent()).toBe("Signed in as olivia@example.test · owner");
    // Every page, including the audit log, is offered to an owner.
    expect(await navPages()).toEqual(["overview", "performance", "requests", "keys", "teams", "playground", "audit"]);
    const cookies = await browser.context.cookies(origin);
    const session = cookies.find((c) => c.name === "tollgate_session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
    // The flow cookie (state, nonce, PKCE verifier) is gone once used.
    expect(cookies.find((c) => c.name === "tollgate_oidc_flow")).toBeUndefined();
    // The page's script cannot read the session.
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie)).not.toContain("tollgate_session");
    await browser.screenshot("sso-owner");
  }, 90_000);

  test("changes need the session's CSRF token; with it they work and are audited under the person's name", async () => {
    const me = await pageFetch("/admin/me");
    expect(me.body).toMatchObject({ via: "session", role: "owner", user_id: "olivia@example.test", actor: "user:olivia@example.test" });
    const csrf = me.body!.csrf_token!;
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await pageFetch("/admin/teams", { method: "POST", body: { id: "red" } })).toMatchObject({ status: 403, body: { error: { code: "csrf_failed" } } });
    expect(await pageFetch("/admin/teams", { method: "POST", csrf: "not-the-token", body: { id: "red" } })).toMatchObject({ status: 403 });
    expect(await pageFetch("/admin/teams", { method: "POST", csrf, body: { id: "red", limits: { rpm: 100 } } })).toMatchObject({ status: 201 });
    // A request without the cookie (another site's form cannot send a SameSite=Strict one) is not signed in.
    const anonymous = await request(`${origin}/admin/teams`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify({ id: "blue" }) });
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();

    await page.goto(`${origin}/dashboard/#/audit`);
    const rows = page.locator("#audit-table tbody tr");
    await expect.poll(() => rows.first().locator("td").nth(3).textContent(), { timeout: UI_TIMEOUT }).toContain("teams.create");
    expect(await rows.first().locator("td").nth(2).textContent()).toContain("user:olivia@example.test");
    await rows.first().click();
    await expect.poll(() => page.locator("#audit-detail").textContent(), { timeout: UI_TIMEOUT }).toContain('"rpm": 100');
    await browser.screenshot("sso-audit");

    // The export is the log as JSON lines, oldest first, fetched with the session.
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: UI_TIMEOUT }), page.locator("#audit-export").click()]);
    expect(download.suggestedFilename()).toBe("tollgate-audit.jsonl");
    const lines = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; action: string; hash: string; prev_hash: string });
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.at(-1)).toMatchObject({ action: "teams.create", prev_hash: lines.at(-2)!.hash });
  }, 60_000);

  test("an owner creates a team in the Teams page; its limit shows with the team", async () => {
    await page.goto(`${origin}/dashboard/#/teams`);
    await page.locator("#create-team").click({ timeout: UI_TIMEOUT });
    await page.locator("#team-dialog input[name=id]").fill("green");
    await page.locator("#team-dialog input[name=rpm]").fill("30");
    await page.locator("#save-team").click();
    const row = page.locator('#teams-table tr[data-team-id="green"]');
    await expect.poll(() => row.textContent(), { timeout: UI_TIMEOUT }).toContain("Requests per minute");
    expect(await row.textContent()).toContain("active");
    // The person who signed in has a user record, as owner.
    await expect.poll(() => page.locator('#users-table tr[data-user-id="olivia@example.test"]').textContent(), { timeout: UI_TIMEOUT }).toContain("owner");
    // A role given to someone in the Users table is a users.role entry in the audit log.
    await page.locator("#add-user").click();
    await page.locator("#user-dialog input[name=id]").fill("victor@example.test");
    await page.locator("#user-dialog select[name=role]").selectOption("viewer");
    await page.locator("#save-user").click();
    const victor = page.locator('#users-table tr[data-user-id="victor@example.test"]');
    await expect.poll(() => victor.textContent(), { timeout: UI_TIMEOUT }).toContain("viewer");
    await victor.locator("button[data-action=edit-user]").click();
    await page.locator("#user-dialog select[name=role]").selectOption("team_admin");
    await page.locator("#user-dialog input[name=teams]").fill("green");
    await page.locator("#save-user").click();
    await expect.poll(() => victor.textContent(), { timeout: UI_TIMEOUT }).toContain("team admin");
    const audit = await pageFetch("/admin/audit?action=users.role");
    expect(audit.body!.data[0]).toMatchObject({
      actor: "user:olivia@example.test",
      resource_id: "victor@example.test",
      before: { role: "viewer", teams: [] },
      after: { role: "team_admin", teams: ["green"] },
    });
    await browser.screenshot("sso-teams");
  }, 60_000);

  test("admin keys still work beside sessions, for automation", async () => {
    const res = await request(`${origin}/admin/audit?action=session.create`, { headers: { authorization: `Bearer ${OWNER_KEY}` } });
    const body = (await res.body.json()) as { data: { actor: string; via: string; after: { role: string } }[] };
    expect(res.statusCode).toBe(200);
    expect(body.data[0]).toMatchObject({ actor: "user:olivia@example.test", via: "oidc", after: { role: "owner" } });
  });

  test("signing out ends the session on the server and clears the cookie", async () => {
    await page.goto(`${origin}/dashboard/`);
    await page.locator("button:has-text('Sign out')").click({ timeout: UI_TIMEOUT });
    await page.locator("#sso-sign-in").waitFor({ timeout: UI_TIMEOUT });
    await expect.poll(async () => (await browser.context.cookies(origin)).some((c) => c.name === "tollgate_session"), { timeout: UI_TIMEOUT }).toBe(false);
    expect((await pageFetch("/admin/me")).status).toBe(401);
  }, 60_000);

  test("a team admin by group sees and manages only their team; the organisation's pages are not offered", async () => {
    await signInAs("rita");
    await page.locator("#signed-in-as").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator("#signed-in-as").textContent()).toBe("Signed in as rita@example.test · team admin (red)");
    expect(await navPages()).toEqual(["overview", "requests", "keys", "teams", "playground"]);
    await page.goto(`${origin}/dashboard/#/keys`);
    const keyRows = page.locator("#keys-table tbody tr");
    await expect.poll(() => keyRows.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await keyRows.first().textContent()).toContain("alice-app");
    expect(await page.locator("#keys-table").textContent()).not.toContain("bob");
    const me = await pageFetch("/admin/me");
    expect((await pageFetch("/admin/audit")).status).toBe(403);
    expect(await pageFetch("/admin/keys", { method: "POST", csrf: me.body!.csrf_token, body: { user_id: "bob", team_id: "blue" } })).toMatchObject({
      status: 403,
      body: { error: { code: "forbidden" } },
    });
    expect(await pageFetch("/admin/keys", { method: "POST", csrf: me.body!.csrf_token, body: { user_id: "carol", team_id: "red" } })).toMatchObject({ status: 201 });
    await page.goto(`${origin}/dashboard/#/teams`);
    const teamRows = page.locator("#teams-table tbody tr");
    await expect.poll(() => teamRows.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await teamRows.first().getAttribute("data-team-id")).toBe("red");
    // Only an owner manages teams: no buttons for a team admin.
    expect(await page.locator("#create-team").count()).toBe(0);
    expect(await teamRows.first().locator("button").count()).toBe(0);
    await browser.screenshot("sso-team-admin");
    await page.locator("button:has-text('Sign out')").click();
    await page.locator("#sso-sign-in").waitFor({ timeout: UI_TIMEOUT });
  }, 90_000);

  test("someone whose groups map to no role, with no user record, is refused with a reason", async () => {
    await signInAs("nina");
    await page.locator("#sign-in-error").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.locator("#sign-in-error").textContent()).toContain("No Tollgate role for nina@example.test");
    expect((await browser.context.cookies(origin)).some((c) => c.name === "tollgate_session")).toBe(false);
  }, 90_000);
});
