import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Page } from "playwright-core";
import { launchBrowser, PHONE, LAPTOP, type TestBrowser } from "../support/browser.js";
import { waitFor } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// The dashboard in a real Chromium against a real gateway (simulated provider, SQLite
// ledger): sign-in, charts and totals that follow requests made with the openai SDK, the
// live tail and its attempt detail, key creation and revocation, the streaming playground,
// and a phone layout without horizontal overflow. Screenshots go to test-artifacts/dashboard/.

const ADMIN = "adm-dashboard-e2e-0123456789abcdef";
const CLIENT = "tg-static-dashboard-client-0123456789";
const PAGES = ["overview", "performance", "requests", "keys", "teams", "playground", "audit"] as const;
/** Waits in the browser: generous, as the machine may be busy; every one is bounded. */
const UI_TIMEOUT = 45_000;

let gw: TestGateway;
let browser: TestBrowser;
let page: Page;
let spoolDir: string;
const users: Record<string, string> = {};

beforeAll(async () => {
  spoolDir = mkdtempSync(path.join(tmpdir(), "tollgate-dashboard-e2e-"));
  gw = await startGateway(
    {
      admin: { keys: ["env:ADMIN"] },
      auth: { keys: ["env:CLIENT"] },
      ledger: { flushIntervalMs: 20, spoolDir },
      prices: { "sim-small": { input: 2, output: 8 }, "sim-large": { input: 5, output: 20 } },
      providers: {
        // Slow enough that a stream is watched growing: 30 tokens at 25 per second.
        sim: { type: "simulator", ttftMs: 20, tokensPerSecond: 25, answerTokens: 30 },
        // Fails its first call: the live tail's detail shows a fallback.
        flaky: { type: "simulator", ttftMs: 0, fault: { kind: "status", status: 503, times: 1 } },
      },
      models: {
        fast: { targets: [{ provider: "sim", model: "sim-small" }] },
        chat: {
          targets: [
            { provider: "flaky", model: "sim-large" },
            { provider: "sim", model: "sim-large" },
          ],
          retry: { maxRetries: 0 },
        },
      },
    },
    { env: { ADMIN, CLIENT } },
  );
  // Two users with keys of their own, made through the admin API.
  for (const user of ["alice", "bob"]) {
    const res = await request(`${gw.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: user, name: `${user}-app` }),
    });
    users[user] = ((await res.body.json()) as { secret: string }).secret;
  }
  browser = await launchBrowser(gw.url);
  page = browser.page;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  rmSync(spoolDir, { recursive: true, force: true });
});

const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: gw.baseURL, maxRetries: 0 });

/** Resolves once the ledger (not just the hook) has `count` requests: the dashboard reads the database. */
async function ledgerHas(count: number): Promise<void> {
  await waitFor(
    async () => {
      const res = await request(`${gw.url}/admin/summary`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await res.body.json()) as { requests: number }).requests >= count;
    },
    { intervalMs: 20, message: `${count} requests in the ledger` },
  );
}

async function ledgerSpend(): Promise<number> {
  const res = await request(`${gw.url}/admin/summary`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.body.json()) as { cost_nanos: number }).cost_nanos;
}

/** The dashboard's own money format for small amounts (web/assets/format.js). */
const usdSmall = (nanos: number) => `$${(nanos / 1e9).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;

async function open(name: (typeof PAGES)[number]): Promise<void> {
  // Same document: only the hash changes, as when a nav link is clicked.
  await page.goto(`${gw.url}/dashboard/#/${name}`);
  await page.locator(`.page[data-page="${name}"]`).waitFor({ timeout: UI_TIMEOUT });
}

const statValue = (id: string) => page.locator(`[data-stat="${id}"] .value`);

describe("dashboard in Chromium", () => {
  test("a wrong admin key is refused with a message; the right one opens the overview", async () => {
    await page.goto(`${gw.url}/dashboard`);
    expect(page.url()).toBe(`${gw.url}/dashboard/`);
    await page.fill("#admin-key", "adm-not-the-key-000000");
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator("#login-error").textContent(), { timeout: UI_TIMEOUT }).toBe("That admin key was not accepted.");
    expect(await page.locator("#login-error").isVisible()).toBe(true);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    await browser.screenshot("login-laptop");

    await page.fill("#admin-key", ADMIN);
    await page.click("button[type=submit]");
    await statValue("requests").waitFor({ timeout: UI_TIMEOUT });
    expect(await statValue("requests").textContent()).toBe("0");
    // This gateway has no alert webhooks: the Alerts card says so.
    await expect.poll(() => page.locator("#alerts-card .empty").textContent(), { timeout: UI_TIMEOUT }).toBe("No webhooks configured (alerts.webhooks): rules are not evaluated.");
  }, 60_000);

  test("the totals and the spend chart reflect requests made with the openai SDK", async () => {
    await sdk(users.alice!).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "Tell me about toll roads" }] });
    const stream = await sdk(users.bob!).chat.completions.create({ model: "fast", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "And bridges?" }] });
    for await (const _chunk of stream);
    await sdk(users.alice!).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "And tunnels?" }] });
    await ledgerHas(3);
    const spend = await ledgerSpend();
    expect(spend).toBeGreaterThan(0);

    await page.click("button[title=Refresh]");
    await expect.poll(() => statValue("requests").textContent(), { timeout: UI_TIMEOUT }).toBe("3");
    expect(await statValue("spend").textContent()).toBe(usdSmall(spend));
    await page.locator("#spend-chart canvas").waitFor({ timeout: UI_TIMEOUT });
    const breakdown = page.locator("#breakdown-card tbody tr");
    await expect.poll(() => breakdown.count(), { timeout: UI_TIMEOUT }).toBe(1);
    expect(await breakdown.first().locator("td").allTextContents()).toEqual(["sim-small", "3", expect.any(String), expect.any(String), usdSmall(spend), "100%"]);

    // Hovering the newest bucket (the right edge of the plot) shows its spend in the legend.
    const plot = page.locator("#spend-chart .u-over");
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
    await expect.poll(() => page.locator("#spend-chart .u-legend .u-series:has-text('sim-small') .u-value").textContent(), { timeout: UI_TIMEOUT }).toBe(usdSmall(spend));

    // Stacked by user instead: one series per user, with each one's share.
    await page.selectOption("#group-by", "user");
    await expect.poll(() => page.locator("#spend-chart .u-legend .u-series .u-label").allTextContents(), { timeout: UI_TIMEOUT }).toEqual(expect.arrayContaining(["alice", "bob"]));
    await expect.poll(() => page.locator("#breakdown-card tbody tr td:first-child").allTextContents(), { timeout: UI_TIMEOUT }).toEqual(expect.arrayContaining(["alice", "bob"]));
    await page.selectOption("#group-by", "model");
    await expect.poll(() => breakdown.first().locator("td").first().textContent(), { timeout: UI_TIMEOUT }).toBe("sim-small");

    // A custom range that ends before these requests shows none of them; back to 24h shows them again.
    await page.click("button[data-value=custom]");
    await page.fill("input[aria-label=From]", "2000-01-01T00:00");
    await page.fill("input[aria-label=To]", "2000-01-02T00:00");
    await page.click(".custom-range button:has-text('Apply')");
    await expect.poll(() => statValue("requests").textContent(), { timeout: UI_TIMEOUT }).toBe("0");
    await expect.poll(() => page.locator("#breakdown-card .empty").textContent(), { timeout: UI_TIMEOUT }).toBe("No requests in this range yet.");
    await page.click("button[data-value='24h']");
    await expect.poll(() => statValue("requests").textContent(), { timeout: UI_TIMEOUT }).toBe("3");
    await page.mouse.move(0, 0);
    await browser.screenshot("overview-laptop");
  }, 60_000);

  test("the live tail shows a request just made, and its detail shows each attempt", async () => {
    await open("requests");
    await page.locator("#requests-table tbody tr").first().waitFor({ timeout: UI_TIMEOUT });
    // The first call to "flaky" fails with 503 and the route does not retry: it falls back to "sim".
    const { response } = await sdk(users.bob!)
      .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "Which way?" }] })
      .withResponse();
    const id = response.headers.get("x-request-id")!;
    const row = page.locator(`tr[data-request-id="${id}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT });
    // Newest first.
    expect(await page.locator("#requests-table tbody tr").first().getAttribute("data-request-id")).toBe(id);
    expect(await row.locator("td").allTextContents()).toEqual([
      expect.stringMatching(/ago$/),
      "bob-app",
      "bob",
      "chat",
      "sim-large",
      "200",
      expect.any(String),
      expect.stringMatching(/^\$/),
      expect.stringMatching(/ (ms|s)$/),
    ]);
    await browser.screenshot("requests-laptop");

    await row.click();
    const attempts = page.locator("#request-detail tbody tr");
    await expect.poll(() => attempts.count(), { timeout: UI_TIMEOUT }).toBe(2);
    const first = await attempts.nth(0).locator("td").allTextContents();
    const second = await attempts.nth(1).locator("td").allTextContents();
    expect(first.slice(0, 5)).toEqual(["1", "flaky", "sim-large", "error", expect.stringContaining("(503)")]);
    expect(second.slice(0, 5)).toEqual(["2", "sim", "sim-large", "ok", "–"]);
    expect(second[8]).toMatch(/^\$0\.0/);
    await browser.screenshot("request-detail-laptop");
    await page.click("#request-detail button:has-text('Close')");
    await page.locator("#request-detail").waitFor({ state: "detached", timeout: UI_TIMEOUT });
  }, 60_000);

  test("a key created in the UI works with the SDK once its secret is copied, and is refused once revoked", async () => {
    await open("keys");
    await page.click("#create-key");
    await page.fill("#create-key input[name=user_id]", "carol");
    await page.fill("#create-key input[name=name]", "made-in-ui");
    await page.click("#create-key-submit");
    const shown = (await page.locator("#new-key-secret").textContent({ timeout: UI_TIMEOUT }))!;
    expect(shown).toMatch(/^tg_[A-Za-z0-9]{43}$/);
    await page.click("#copy-secret");
    await expect.poll(() => page.locator("#create-key [role=status]").textContent(), { timeout: UI_TIMEOUT }).toBe("Copied to the clipboard.");
    const copied = (await page.evaluate("navigator.clipboard.readText()")) as string;
    expect(copied).toBe(shown);
    await browser.screenshot("key-created-laptop");
    // The secret never reached a URL, and neither did the admin key.
    expect(browser.requested.filter((u) => u.includes(copied) || u.includes(ADMIN))).toEqual([]);

    const answer = await sdk(copied).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hello from a new key" }] });
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);

    await page.click("#create-key button.primary:has-text('Done')");
    const row = page.locator("#keys-table tr", { hasText: "made-in-ui" });
    await row.waitFor({ timeout: UI_TIMEOUT });

    // Limits: a daily budget of $1, shown with what it has used.
    await row.locator("button[data-action=edit]").click();
    await page.click("#edit-limits #add-budget");
    await page.fill("#edit-limits input[name=usd]", "1");
    await page.click("#save-limits");
    await expect.poll(() => row.locator(".meter .caption").first().textContent(), { timeout: UI_TIMEOUT }).toMatch(/^Spend today\$[0-9.]+ of \$1\.00$/);
    await browser.screenshot("keys-laptop");

    await row.locator("button[data-action=revoke]").click();
    await page.click("#confirm-revoke");
    await row.waitFor({ state: "detached", timeout: UI_TIMEOUT });
    const refused = await sdk(copied)
      .chat.completions.create({ model: "fast", messages: [{ role: "user", content: "still there?" }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  }, 60_000);

  test("the playground streams the answer token by token, then shows usage and cost", async () => {
    await open("playground");
    await page.selectOption("#pg-route", "fast");
    await page.selectOption("#pg-key-pick", "__paste__");
    await page.fill("#pg-key", CLIENT);
    await page.fill("#pg-max-tokens", "30");
    await page.fill("#pg-prompt", "Describe a mountain pass toll booth");
    await page.click("#pg-send");

    // The answer grows while the stream is open: several distinct observations.
    const answer = page.locator("#pg-answer");
    const lengths: number[] = [];
    for (let i = 0; i < 3; i++) {
      const previous = lengths.at(-1) ?? 0;
      let seen = 0;
      await expect.poll(async () => (seen = ((await answer.textContent()) ?? "").length), { timeout: UI_TIMEOUT, interval: 10 }).toBeGreaterThan(previous);
      lengths.push(seen);
      expect(await answer.getAttribute("class")).toContain("streaming");
    }
    await expect.poll(() => page.locator("#pg-cost b").textContent(), { timeout: UI_TIMEOUT }).toMatch(/^\$0\.0\d+$/);
    const final = ((await answer.textContent()) ?? "").length;
    expect(lengths[0]!).toBeLessThan(lengths[1]!);
    expect(lengths[1]!).toBeLessThan(lengths[2]!);
    expect(lengths[2]!).toBeLessThanOrEqual(final);
    expect(await page.locator("#pg-usage").textContent()).toMatch(/Completion 30/);
    await browser.screenshot("playground-laptop");
  }, 60_000);

  test("every page renders on a phone without horizontal overflow", async () => {
    await page.setViewportSize(PHONE);
    for (const name of PAGES) {
      await open(name);
      // Each page's main content has loaded (tables, charts or forms).
      await page.locator(".page .card").first().waitFor({ timeout: UI_TIMEOUT });
      await page.waitForLoadState("networkidle", { timeout: UI_TIMEOUT });
      const [scrollWidth, innerWidth] = (await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")) as [number, number];
      expect(scrollWidth, name).toBeLessThanOrEqual(innerWidth);
      await browser.screenshot(`${name}-phone`);
    }
    await page.setViewportSize(LAPTOP);
  }, 90_000);

  test("performance: percentiles per route, and the provider that failed shows its fallback", async () => {
    await open("performance");
    await page.locator("#latency-chart canvas").waitFor({ timeout: UI_TIMEOUT });
    await page.locator("#ttft-chart canvas").waitFor({ timeout: UI_TIMEOUT });
    const routes = page.locator("#groups-card tbody tr");
    await expect.poll(() => routes.locator("td:first-child").allTextContents(), { timeout: UI_TIMEOUT }).toEqual(expect.arrayContaining(["fast", "chat"]));
    const chat = (await routes.filter({ hasText: /^chat/ }).locator("td").allTextContents())!;
    expect(chat[3]).toMatch(/^\S+ m?s · \S+ m?s · \S+ m?s$/);
    const flaky = page.locator("#providers-card tbody tr", { hasText: "flaky" });
    expect(await flaky.locator("td").allTextContents()).toEqual(["flaky", "1", expect.stringMatching(/^100%1 of 1$/), "0 · 0%", "1 · 100%"]);
    await browser.screenshot("performance-laptop");
  }, 60_000);

  test("no console errors or content-policy violations along the way", () => {
    // Chromium logs every 4xx fetch; the wrong admin key (401) and the playground asking
    // the ledger for a request not yet written (404) are expected ones.
    const expected = /^Failed to load resource: the server responded with a status of 40[14] /;
    expect(browser.errors.filter((e) => !expected.test(e))).toEqual([]);
  });
});
