import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { buildDist, killAll, runCli, tempFile } from "../support/cli-process.js";
import { waitFor } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// Teams as records through a real gateway: a team's limits hold all of its keys together
// (reserved in the same budget store as every other limit), its models and tags reach its
// keys, a team admin manages only their team, disabling the team stops its keys, and every
// change is in the audit log, which `tollgate audit verify` (the compiled CLI) checks.

const OWNER = "adm-teams-owner-0123456789abcdef";
const RED_ADMIN = "adm-teams-red-admin-0123456789";
const CLIENT_OPTS = { maxRetries: 0 } as const;

let gw: TestGateway;
let dir: string;
let dbUrl: string;

beforeAll(async () => {
  await buildDist();
  dir = mkdtempSync(path.join(tmpdir(), "tollgate-teams-e2e-"));
  dbUrl = `sqlite:${path.join(dir, "tollgate.db")}`;
  gw = await startGateway(
    {
      database: { url: dbUrl },
      admin: { keys: ["env:OWNER", { key: "env:RED_ADMIN", role: "team_admin", teams: ["red"], name: "red-admin" }] },
      providers: { sim: { type: "simulator", ttftMs: 0, answerTokens: 4 } },
      models: { fast: { targets: [{ provider: "sim", model: "sim" }] }, big: { targets: [{ provider: "sim", model: "sim" }] } },
    },
    { env: { OWNER, RED_ADMIN } },
  );
}, 180_000);
afterEach(killAll);
afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An admin call; the body is JSON as `T` (or the text of a non-JSON answer). */
async function admin<T = Record<string, unknown>>(method: string, route: string, key: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await request(`${gw.url}${route}`, {
    method: method as "GET",
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text && res.headers["content-type"]?.toString().startsWith("application/json") ? JSON.parse(text) : text) as T };
}

const chat = (secret: string, model = "fast") => new OpenAI({ apiKey: secret, baseURL: gw.baseURL, ...CLIENT_OPTS }).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (err: { status?: number }) => err.status ?? 0,
  );

describe("a team", () => {
  const secrets: string[] = [];

  test("the owner creates it with a team-wide limit, models and tags; its team admin makes its keys (and no other team's)", async () => {
    const team = await admin("POST", "/admin/teams", OWNER, { id: "red", name: "Red team", allowed_models: ["fast"], tags: { cost_center: "cc-42" }, limits: { rpm: 3 } });
    expect(team).toMatchObject({ status: 201, body: { object: "team", id: "red", limits: { rpm: 3 }, status: "active" } });
    expect((await admin("POST", "/admin/teams", RED_ADMIN, { id: "blue" })).status).toBe(403);
    for (const user of ["alice", "carol"]) {
      const created = await admin<{ secret: string }>("POST", "/admin/keys", RED_ADMIN, { user_id: user, team_id: "red", name: `${user}-app` });
      expect(created.status).toBe(201);
      secrets.push(created.body.secret);
    }
    expect((await admin("POST", "/admin/keys", RED_ADMIN, { user_id: "bob", team_id: "blue" })).status).toBe(403);
    expect((await admin("POST", "/admin/keys", RED_ADMIN, { user_id: "bob" })).status).toBe(403);
  });

  test("its limit counts the requests of all its keys together; its models and tags apply to each", async () => {
    const [alice, carol] = secrets as [string, string];
    const first = await chat(alice);
    expect(first.choices[0]?.message.content).toBeTruthy();
    expect(await statusOf(chat(carol))).toBe(200);
    // A model the team does not allow, even though the key itself allows every model.
    expect(await statusOf(chat(alice, "big"))).toBe(403);
    expect(await statusOf(chat(carol))).toBe(200);
    // Three requests used the team's three per minute: both keys are now refused.
    expect(await statusOf(chat(alice))).toBe(429);
    expect(await statusOf(chat(carol))).toBe(429);
    const recorded = gw.records.filter((r) => r.status === 200);
    expect(recorded).toHaveLength(3);
    for (const r of recorded) expect(r.identity?.tags).toMatchObject({ cost_center: "cc-42" });
    const budgets = await admin<{ data: unknown[] }>("GET", "/admin/budgets", RED_ADMIN);
    expect(budgets.body.data).toContainEqual(expect.objectContaining({ source: "team", scope: "team", subject: "red", unit: "requests", limit: 3, spent: 3 }));
  });

  test("requests racing on several keys of one team never pass its limit together", async () => {
    expect((await admin("POST", "/admin/teams", OWNER, { id: "green", limits: { rpm: 4 } })).status).toBe(201);
    const keys = await Promise.all(["dan", "eve", "fay"].map(async (user) => (await admin<{ secret: string }>("POST", "/admin/keys", OWNER, { user_id: user, team_id: "green" })).body.secret));
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => statusOf(chat(keys[i % 3]!))));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
  });

  test("disabled, its keys stop at once; enabled again, they work", async () => {
    const [alice] = secrets as [string];
    const disabled = await admin("DELETE", "/admin/teams/red", OWNER);
    expect(disabled.body).toMatchObject({ status: "disabled" });
    expect(await statusOf(chat(alice))).toBe(401);
    expect((await admin("PATCH", "/admin/teams/red", OWNER, { disabled: false, limits: null })).body).toMatchObject({ status: "active", limits: {} });
    expect(await statusOf(chat(alice))).toBe(200);
  });

  test("every change is in the audit log with its actor, before and after, and no secret; `tollgate audit verify` checks the chain", async () => {
    const log = await admin<{ data: { action: string; actor: string; status: number; request_id: string }[] }>("GET", "/admin/audit?resource=teams", OWNER);
    expect(log.body.data.map((e) => `${e.action} ${e.actor} ${e.status}`)).toEqual([
      expect.stringMatching(/^teams\.update admin-key:key_[0-9a-f]{12} 200$/),
      expect.stringMatching(/^teams\.disable admin-key:key_[0-9a-f]{12} 200$/),
      expect.stringMatching(/^teams\.create admin-key:key_[0-9a-f]{12} 201$/),
      "teams.create admin-key:red-admin 403",
      expect.stringMatching(/^teams\.create admin-key:key_[0-9a-f]{12} 201$/),
    ]);
    const update = log.body.data[0]!;
    expect(update).toMatchObject({ resource_id: "red", before: { status: "disabled", limits: { rpm: 3 } }, after: { status: "active", limits: {} }, source: "127.0.0.1" });
    expect(update.request_id).toMatch(/^adm_[0-9a-f]{32}$/);
    // A team admin may not read the organisation's log.
    expect((await admin("GET", "/admin/audit", RED_ADMIN)).status).toBe(403);

    const exported = await admin<string>("GET", "/admin/audit/export", OWNER);
    const lines = exported.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; action: string });
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.map((l) => l.action)).toContain("keys.create");
    for (const secret of secrets) expect(exported.body).not.toContain(secret);
    expect(exported.body).not.toContain(OWNER);

    const config = tempFile("tollgate.yaml", [`database: { url: "${dbUrl}" }`, "providers: { sim: { type: simulator } }", "models: { sim: { targets: [{ provider: sim, model: sim }] } }"].join("\n"));
    const intact = await runCli(["audit", "verify", "--config", config], { timeoutMs: 20_000 });
    expect(intact).toMatchObject({ code: 0 });
    expect(intact.stdout).toContain(`Audit log intact: ${lines.length} entries`);

    const sql = await openStore(dbUrl);
    try {
      await sql.query("UPDATE tollgate_audit SET actor = $1 WHERE seq = 2", ["admin-key:someone-else"]);
    } finally {
      await sql.close();
    }
    const broken = await runCli(["audit", "verify", "--config", config], { timeoutMs: 20_000 });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("Audit log BROKEN at entry 2: entry 2 was changed after it was written");
  });
});

describe("a team budget in Redis, shared by the team's keys", () => {
  const prefix = `tollgate-test-teams-${randomBytes(6).toString("hex")}`;
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
  let shared: TestGateway;

  beforeAll(async () => {
    shared = await startGateway(
      {
        redis: { url: "redis://127.0.0.1:6379", keyPrefix: prefix },
        admin: { keys: ["env:OWNER"] },
        prices: { sim: { input: 1, output: 1 } },
        providers: { sim: { type: "simulator", ttftMs: 5, answerTokens: 20 } },
        models: { fast: { maxOutputTokens: 50, targets: [{ provider: "sim", model: "sim" }] } },
      },
      { env: { OWNER } },
    );
  });
  afterAll(async () => {
    await shared?.close();
    await redis.connect().catch(() => {});
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  test("40 requests at once on three keys: the team's settled spend stays within its budget", async () => {
    const call = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const res = await request(`${shared.url}${route}`, {
        method: method as "GET",
        headers: { authorization: `Bearer ${OWNER}`, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await res.body.json()) as T;
    };
    // $1 per 1M tokens: an answer costs about 30,000 n$, its worst case (50 output tokens) about 60,000 n$.
    const budgetNanos = 500_000;
    await call("POST", "/admin/teams", { id: "ops", limits: { budgets: [{ period: "day", usd: budgetNanos / 1e9 }] } });
    const keys = await Promise.all(["u1", "u2", "u3"].map(async (user) => (await call<{ secret: string }>("POST", "/admin/keys", { user_id: user, team_id: "ops" })).secret));
    const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: shared.baseURL, ...CLIENT_OPTS });
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => statusOf(client(keys[i % 3]!).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] }))));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    // Each record is written once its request is settled, just after the answer.
    await waitFor(() => shared.records.length === 40, { timeoutMs: 10_000, message: "40 request records" });
    const ok = shared.records.filter((r) => r.status === 200);
    expect(ok.length).toBe(statuses.filter((s) => s === 200).length);
    const settled = ok.reduce((sum, r) => sum + (r.costNanos ?? 0), 0);
    expect(settled).toBeLessThanOrEqual(budgetNanos);
    const budgets = await call<{ store: string; data: unknown[] }>("GET", "/admin/budgets");
    expect(budgets.store).toBe("redis (fail closed)");
    expect(budgets.data).toContainEqual(expect.objectContaining({ source: "team", subject: "ops", unit: "usd", limit: budgetNanos, spent: settled, reserved: 0 }));
  });
});
