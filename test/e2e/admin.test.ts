import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { createFakeUpstream, waitFor, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { sendThenRead, wholeAnswer } from "../support/send-then-read.js";

// The admin API through a real gateway on a real port: keys made over HTTP are used by
// the official openai SDK, the ledger reports what they spent, and revocation bites at once.

const ADMIN = "adm-e2e-0123456789abcdef";
const CLIENT = "tg-static-client-key-0123456789";
let upstream: FakeUpstream;
let gw: TestGateway;
let spoolDir: string;

/** 12 prompt + 34 completion tokens at $2 / $8 per 1M: 24,000 + 272,000 nano-dollars. */
const USAGE = { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 };
const COST_NANOS = 296_000;
const completion = (content: string) => ({
  kind: "json" as const,
  status: 200,
  body: {
    id: "chatcmpl-admin",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "acme-test-1",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: USAGE,
  },
});

function config(admin: boolean): ConfigInput {
  return {
    ...(admin ? { admin: { keys: ["env:ADMIN"] } } : {}),
    auth: { keys: ["env:CLIENT"] },
    // One ledger writer per spool directory.
    ledger: { flushIntervalMs: 20, spoolDir: path.join(spoolDir, admin ? "admin" : "plain") },
    // A made-up model, so no shipped price can apply instead.
    prices: { "acme-test-1": { input: 2, output: 8 } },
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-upstream-admin-e2e" } },
    models: { fast: { targets: [{ provider: "up", model: "acme-test-1" }] }, other: { targets: [{ provider: "up", model: "acme-test-1" }] } },
  };
}

beforeAll(async () => {
  spoolDir = mkdtempSync(path.join(tmpdir(), "tollgate-admin-e2e-"));
  upstream = await createFakeUpstream();
  gw = await startGateway(config(true), { env: { ADMIN, CLIENT } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(spoolDir, { recursive: true, force: true });
});

async function admin(method: string, path: string, options: { body?: unknown; key?: string | null; url?: string } = {}) {
  const key = options.key === undefined ? ADMIN : options.key;
  const res = await request(`${options.url ?? gw.url}${path}`, {
    method: method as "GET",
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(options.body === undefined ? {} : { "content-type": "application/json" }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.body.text();
  // biome-ignore lint/suspicious/noExplicitAny: the tests read deep into JSON bodies of many shapes
  return { status: res.statusCode, headers: res.headers, text, json: JSON.parse(text) as any };
}

const ask = (client: OpenAI, model = "fast") => client.chat.completions.create({ model, messages: [{ role: "user", content: "What does a gateway do?" }] });

interface UsageRow {
  group: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
  cost_usd: string;
}

/** The usage row for `group`, once the ledger has written `requests` requests for it. */
async function usageRow(groupBy: string, group: string, requests: number): Promise<UsageRow> {
  let row: UsageRow | undefined;
  await waitFor(
    async () => {
      const res = await admin("GET", `/admin/usage?group_by=${groupBy}&granularity=hour`);
      expect(res.status).toBe(200);
      row = (res.json.totals as UsageRow[]).find((t) => t.group === group);
      return row?.requests === requests;
    },
    { intervalMs: 25, message: `usage for ${groupBy}=${group}` },
  );
  return row!;
}

describe("admin API", () => {
  test("authentication: 401 without a key, with a wrong one, or with a client key; 404 when no admin key is configured", async () => {
    const missing = await admin("GET", "/admin/keys", { key: null });
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { type: "authentication_error", code: "missing_api_key", param: null } });
    for (const wrong of [`${ADMIN}x`, CLIENT, "tg_notAnAdminKeyAtAll0000000000000000000000000"]) {
      const res = await admin("GET", "/admin/keys", { key: wrong });
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: { code: "invalid_api_key" } });
      expect(res.text).not.toContain(ADMIN);
    }
    expect((await admin("POST", "/admin/keys", { key: null, body: { user_id: "x" } })).status).toBe(401);
    expect((await admin("GET", "/admin/keys")).status).toBe(200);

    const disabled = await startGateway(config(false), { env: { CLIENT } });
    try {
      for (const key of [null, ADMIN]) {
        const res = await admin("GET", "/admin/keys", { key, url: disabled.url });
        expect(res.status).toBe(404);
        expect(res.json).toMatchObject({ error: { type: "not_found_error", code: "not_found" } });
      }
    } finally {
      await disabled.close();
    }
  });

  test("refused with its body unread: Connection: close, and a client still sending its body reads the whole 401", async () => {
    const answer = await sendThenRead(gw.url, "/admin/keys", {}, 128 * 1024);
    expect(wholeAnswer(answer, 401)).toBe(true);
    expect(answer.toLowerCase()).toContain("\r\nconnection: close\r\n");
  });

  test("validation: 400 in the OpenAI error shape naming the field; unknown key ids 404; wrong methods 405", async () => {
    const bad = await admin("POST", "/admin/keys", { body: { user_id: "alice", limits: { budgets: [{ period: "week", usd: 1 }] } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param: "limits.budgets[0].period" });
    expect(bad.json.error.message).toContain("limits.budgets[0].period");
    const noUser = await admin("POST", "/admin/keys", { body: { name: "x" } });
    expect(noUser.json.error).toMatchObject({ param: "user_id", message: "Invalid value for user_id: is required." });
    const notJson = await request(`${gw.url}/admin/keys`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: "{nope" });
    expect(notJson.statusCode).toBe(400);
    expect(await notJson.body.json()).toMatchObject({ error: { code: "invalid_json" } });
    expect((await admin("GET", "/admin/keys/key_0000000000000000")).json).toMatchObject({ error: { code: "key_not_found" } });
    expect((await admin("PUT", "/admin/keys")).status).toBe(405);
    expect((await admin("GET", "/admin/usage?group_by=planet")).json.error).toMatchObject({ param: "group_by" });
  });

  test("a key created over the API works with the openai SDK, shows up in usage with its tokens and cost, and stops at once when revoked", async () => {
    const created = await admin("POST", "/admin/keys", { body: { user_id: "alice-e2e", team_id: "red", name: "sdk test", tags: { feature: "e2e" } } });
    expect(created.status).toBe(201);
    expect(created.headers["cache-control"]).toBe("no-store");
    const { key, secret } = created.json as { key: { id: string; prefix: string }; secret: string };
    expect(secret).toMatch(/^tg_/);
    expect(key.prefix).toBe(`${secret.slice(0, 7)}…`);
    expect(created.text).not.toContain('"hash"');

    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
    upstream.enqueue(completion("A gateway forwards requests."));
    const answer = await ask(client);
    expect(answer.choices[0]?.message.content).toBe("A gateway forwards requests.");
    expect(answer.usage).toMatchObject(USAGE);
    // The gateway authenticated the virtual key; upstream got the provider's key.
    expect(upstream.requests.at(-1)!.headers.authorization).toBe("Bearer sk-upstream-admin-e2e");

    const byKey = await usageRow("key", key.id, 1);
    expect(byKey).toEqual({ group: key.id, requests: 1, input_tokens: 12, output_tokens: 34, cost_nanos: COST_NANOS, cost_usd: "0.000296", saved_nanos: 0, saved_usd: "0.000000" });
    expect(await usageRow("user", "alice-e2e", 1)).toMatchObject({ input_tokens: 12, output_tokens: 34, cost_nanos: COST_NANOS, cost_usd: "0.000296" });
    expect(await usageRow("team", "red", 1)).toMatchObject({ cost_nanos: COST_NANOS });
    expect(await usageRow("tag&tag=feature", "e2e", 1)).toMatchObject({ cost_nanos: COST_NANOS });
    const series = (await admin("GET", "/admin/usage?group_by=key&granularity=hour")).json.series as { bucket: string; group: string; cost_usd: string }[];
    expect(series.find((s) => s.group === key.id)).toMatchObject({ bucket: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/), cost_usd: "0.000296" });

    // A second request adds up exactly.
    upstream.enqueue(completion("Again."));
    await ask(client);
    expect(await usageRow("key", key.id, 2)).toMatchObject({ input_tokens: 24, output_tokens: 68, cost_nanos: 2 * COST_NANOS, cost_usd: "0.000592" });

    // The secret is in no response but the create one.
    const list = await admin("GET", "/admin/keys?user_id=alice-e2e&include_revoked=true");
    const one = await admin("GET", `/admin/keys/${key.id}`);
    expect(list.json.data).toEqual([one.json]);
    expect(one.json).toMatchObject({ id: key.id, user_id: "alice-e2e", team_id: "red", status: "active" });
    for (const res of [list, one]) {
      expect(res.text).not.toContain(secret);
      expect(res.text).not.toContain(secret.slice(7));
      expect(res.text).not.toContain('"hash"');
    }

    // PATCH takes effect on the next request (the key cache forgets the key).
    const patched = await admin("PATCH", `/admin/keys/${key.id}`, { body: { allowed_models: ["other"] } });
    expect(patched.json).toMatchObject({ allowed_models: ["other"] });
    await expect(ask(client, "fast")).rejects.toMatchObject({ status: 403 });
    expect(patched.text).not.toContain(secret);

    const revoked = await admin("DELETE", `/admin/keys/${key.id}`);
    expect(revoked.json).toEqual({ id: key.id, object: "key", revoked: true });
    const refused = await ask(client, "other").then(
      () => expect.fail("a revoked key must not work"),
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((await admin("GET", "/admin/keys?user_id=alice-e2e")).json.data).toEqual([]);
    expect((await admin("GET", `/admin/keys/${key.id}`)).json).toMatchObject({ status: "revoked" });
  });
});
