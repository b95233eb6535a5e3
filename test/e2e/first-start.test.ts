import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { launchBrowser } from "../support/browser.js";
import { buildDist, killAll, removeTempDirs, spawnCli, tempFile } from "../support/cli-process.js";

// A newcomer's `npm start`: the built-in config on loopback, no admin key configured. The
// banner prints a sign-in link with a one-time admin key, and the dashboard opens from it.

beforeAll(buildDist, 120_000);
afterEach(killAll);
afterAll(removeTempDirs);

const UI_TIMEOUT = 45_000;

async function start(args: string[]): Promise<{ url: string; stdout: () => string }> {
  const cli = spawnCli(["start", "--port", "0", ...args]);
  const match = await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { url: match[1]!, stdout: () => cli.stdout() };
}

describe("the first local start", () => {
  test("prints a dashboard sign-in link whose key opens the dashboard and the admin API", async () => {
    const { url, stdout } = await start([]);
    const link = stdout().match(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard\/#key=(tga_[A-Za-z0-9_-]{32}))\n/);
    expect(link, stdout()).not.toBeNull();
    const [, signIn, key] = link!;

    expect((await request(`${url}/admin/summary`, { headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    expect((await request(`${url}/admin/summary`, { headers: { authorization: "Bearer tga_not-the-key" } })).statusCode).toBe(401);
    // The gateway itself stays open to clients, as the README's first curl expects.
    const chat = await request(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sim", messages: [{ role: "user", content: "Hello" }] }),
    });
    expect(chat.statusCode).toBe(200);
    expect(await chat.body.json()).toMatchObject({ object: "chat.completion" });

    const browser = await launchBrowser(url);
    try {
      await browser.page.goto(signIn!);
      await browser.page.locator('.page[data-page="overview"] [data-stat="requests"] .value').waitFor({ timeout: UI_TIMEOUT });
      // The key left the address bar (and history) for the tab's session.
      expect(browser.page.url()).toBe(`${url}/dashboard/`);
      expect(await browser.page.evaluate("sessionStorage.getItem('tollgate.adminKey')")).toBe(key);
      // The fragment never reached the gateway: no request the page made carries the key.
      expect(browser.requested.length).toBeGreaterThan(1);
      expect(browser.requested.filter((u) => u.includes(key!))).toEqual([]);
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  test("a config with admin keys gets no one-time key", async () => {
    const config = tempFile("tollgate.yaml", 'admin: { keys: ["adm-configured-key-0000"] }\nproviders: { sim: { type: simulator } }\nmodels: { sim: { targets: [{ provider: sim, model: sim }] } }\n');
    const { url, stdout } = await start(["--config", config]);
    expect(stdout()).toContain(`dashboard: ${url}/dashboard/\n`);
    expect(stdout()).not.toContain("#key=");
  });
});
