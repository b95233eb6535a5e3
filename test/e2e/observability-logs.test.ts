import { internalsOf } from "../../src/gateway.js";
import { readFileSync } from "node:fs";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { createLogger } from "../../src/observability/logger.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, loadChunks, loadJson } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse, type RawSseResult } from "../support/sse-client.js";

// Secrets that no key-shape pattern would catch: only the gateway's knowledge of them can.
const PROVIDER_KEY = "prov-secret-7Hq9Zx2Lm4Np";
const CLIENT_KEY = "client-static-Q8w7E6r5T4y3";
const ADMIN_KEY = "admin-secret-Z1x2C3v4B5n6";

const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
const fullStream = () => chatSseBytes(payloads);
const DONE = "data: [DONE]\n\n";
/** The role chunk and two content chunks, then an error frame that quotes the credentials. */
const midStreamError = (clientSecret: string) =>
  Buffer.concat([
    chatSseBytes(payloads.slice(0, 3)).subarray(0, -DONE.length),
    Buffer.from(`data: ${JSON.stringify({ error: { message: `key ${PROVIDER_KEY} revoked (caller sent Bearer ${clientSecret})` } })}\n\n`),
  ]);
const echo = (clientSecret: string) => ({
  error: { message: `Incorrect API key provided: ${PROVIDER_KEY}. Your request carried Authorization: Bearer ${clientSecret}.`, type: "invalid_request_error", code: "invalid_api_key" },
});

/** The log fields docs/observability.md documents, from its request-line table. */
function documentedLogFields(): Set<string> {
  const doc = readFileSync(new URL("../../docs/observability.md", import.meta.url), "utf8");
  const section = doc.split("## Logs")[1]!.split("\n## ")[0]!;
  return new Set([...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!));
}
const PINO_FIELDS = ["level", "time", "pid", "hostname", "msg"];

let upstream: FakeUpstream;
let gw: TestGateway;
const lines: string[] = [];
let virtualKey: { id: string; secret: string };

function config(): ConfigInput {
  const once = { retry: { maxRetries: 0 } };
  return {
    auth: { keys: ["env:CLIENT"] },
    admin: { keys: ["env:ADMIN"] },
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "env:PROV" } },
    models: {
      chat: { ...once, targets: [{ provider: "up", model: "gpt-4.1-nano" }] },
      logged: { ...once, logBodies: { maxChars: 120 }, targets: [{ provider: "up", model: "gpt-4.1-nano" }] },
    },
  };
}

beforeAll(async () => {
  upstream = await createFakeUpstream();
  // A real pino logger (the gateway's own settings, redact paths included) writing to memory.
  gw = await startGateway(config(), { env: { CLIENT: CLIENT_KEY, ADMIN: ADMIN_KEY, PROV: PROVIDER_KEY }, logger: createLogger("info", { write: (line: string) => void lines.push(line) }) });
  const res = await request(`${gw.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ user_id: "alice", tags: { feature: "search" } }),
  });
  const created = (await res.body.json()) as { key: { id: string }; secret: string };
  virtualKey = { id: created.key.id, secret: created.secret };
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("request logs", () => {
  test("no secret in any log line or response; one documented line per request", async () => {
    const responses: RawSseResult[] = [];
    for (const secret of [CLIENT_KEY, virtualKey.secret]) {
      const auth = { authorization: `Bearer ${secret}` };
      const chat = (extra: Record<string, unknown>, model = "chat") => postSse(`${gw.baseURL}/chat/completions`, { model, messages: [{ role: "user", content: "hello" }], ...extra }, auth);
      upstream.enqueue(
        { kind: "json", status: 401, body: echo(secret) },
        { kind: "json", status: 500, body: echo(secret) },
        { kind: "sse", chunks: [midStreamError(secret)] },
        { kind: "json", status: 200, body: loadJson("openai-chat/openai-text.json") },
        { kind: "sse", chunks: [fullStream()] },
        { kind: "sse", chunks: [fullStream()] },
      );
      responses.push(await chat({}));
      responses.push(await chat({ stream: true }));
      responses.push(await chat({ stream: true }));
      responses.push(await chat({}));
      responses.push(await chat({ stream: true }));
      // Bodies are logged on this route: a prompt that quotes the credentials is redacted too.
      responses.push(await chat({ stream: true, messages: [{ role: "user", content: `my keys are ${secret} and ${PROVIDER_KEY}; ${"x".repeat(300)}` }] }, "logged"));
      // Refused before any upstream call.
      responses.push(await chat({}, "no-such-model"));
    }
    responses.push(await postSse(`${gw.baseURL}/chat/completions`, { model: "chat", messages: [] }, { authorization: `Bearer ${CLIENT_KEY}x` }));
    const records = await Promise.all(responses.map((r) => gw.recordOf(r.headers["x-request-id"])));
    expect(upstream.pending()).toBe(0);
    // The secrets were in play: the upstream saw the provider key, and echoed it back.
    expect(upstream.requests.every((r) => r.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);

    const secrets = [PROVIDER_KEY, CLIENT_KEY, ADMIN_KEY, virtualKey.secret, virtualKey.secret.slice(3)];
    for (const line of lines) for (const s of secrets) expect(line, `log line leaks ${s}`).not.toContain(s);
    for (const res of responses) for (const s of secrets) expect(res.text + JSON.stringify(res.headers), `response leaks ${s}`).not.toContain(s);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The pipeline's lines (the admin call above has a line of its own, component "http").
    const requestLines = parsed.filter((l) => l.msg === "request" && l.component !== "http");
    expect(requestLines.map((l) => l.request_id).sort()).toEqual(records.map((r) => r.id).sort());
    const documented = documentedLogFields();
    for (const line of requestLines) {
      for (const field of Object.keys(line)) expect([...documented, ...PINO_FIELDS], `undocumented field ${field}`).toContain(field);
      for (const field of ["request_id", "api", "stream", "status", "outcome", "attempts", "retries", "fallback", "latency_ms", "cache_hit"]) expect(line).toHaveProperty(field);
    }

    const byId = new Map(requestLines.map((l) => [l.request_id, l]));
    const lineOf = (i: number) => byId.get(records[i]!.id)!;
    // Per key: 0 upstream 401, 1 stream 500, 2 mid-stream error, 3 JSON ok, 4 stream ok, 5 logged route, 6 unknown model.
    for (const [base, keyId] of [
      [0, records[0]!.identity!.keyId],
      [7, virtualKey.id],
    ] as const) {
      expect(lineOf(base)).toMatchObject({
        key_id: keyId,
        route: "chat",
        provider: "up",
        model: "gpt-4.1-nano",
        attempts: 1,
        status: records[base]!.status,
        outcome: "failed",
        error_code: records[base]!.errorCode,
      });
      // The upstream's message is kept, with the credentials cut out.
      expect(lineOf(base).error_message).toContain("Incorrect API key provided: [REDACTED]");
      expect(lineOf(base + 2)).toMatchObject({ stream: true, status: 200, outcome: "failed" });
      expect(lineOf(base + 2).error_message).toMatch(/key \[REDACTED\] revoked \(caller sent (Bearer )?\[REDACTED\]\)/);
      const ok = lineOf(base + 3);
      expect(ok).toMatchObject({
        outcome: "complete",
        status: 200,
        input_tokens: records[base + 3]!.usage!.inputTokens,
        output_tokens: records[base + 3]!.usage!.outputTokens,
        usage_source: "reported",
        cache_hit: false,
        fallback: false,
        retries: 0,
      });
      expect(ok.cost_usd).toBeCloseTo(records[base + 3]!.costNanos! / 1e9, 12);
      expect(lineOf(base + 4).ttft_ms).toBeGreaterThan(0);
      for (const i of [0, 1, 2, 3, 4, 6]) expect(lineOf(base + i)).not.toHaveProperty("prompt");
      const logged = lineOf(base + 5);
      expect(logged.prompt).toMatch(/^user: my keys are \[REDACTED\] and \[REDACTED\]; x+…\[\d+ more chars\]$/);
      expect(String(logged.completion).length).toBeGreaterThan(0);
      expect(lineOf(base + 6)).toMatchObject({ status: 404, error_code: records[base + 6]!.errorCode, attempts: 0 });
      expect(lineOf(base + 6)).not.toHaveProperty("route");
    }
    expect(lineOf(7)).toMatchObject({ user: "alice", tags: { feature: "search" } });
    expect(lineOf(14)).toMatchObject({ status: 401, error_code: "invalid_api_key" });
    expect(lineOf(14)).not.toHaveProperty("key_id");
  });

  test("an operational warning is a structured line, with the store's password redacted", async () => {
    const warnings: Record<string, unknown>[] = [];
    const texts: string[] = [];
    const REDIS_PASSWORD = "redis-pass-Kq81Lm92Zx";
    // Nothing listens on port 1: the shared budget store is unreachable, and the gateway fails closed.
    const down = await startGateway(
      {
        redis: { url: "env:REDIS_DOWN_URL" },
        budgets: { storeTimeoutMs: 200, rules: [{ scope: "key", period: "day", requests: 100 }] },
        providers: { sim: { type: "simulator", ttftMs: 0 } },
        models: { sim: { targets: [{ provider: "sim", model: "sim" }] } },
      },
      {
        env: { REDIS_DOWN_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:1` },
        logger: createLogger("info", { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) }),
        log: (text) => texts.push(text),
      },
    );
    // Should a driver quote its URL, the password is cut out.
    expect(internalsOf(down.gateway).services.redactor.redact(`connect failed: redis://:${REDIS_PASSWORD}@127.0.0.1:1`)).toBe("connect failed: redis://:[REDACTED]@127.0.0.1:1");
    try {
      const res = await postSse(`${down.baseURL}/chat/completions`, { model: "sim", messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(503);
      await down.recordOf(res.headers["x-request-id"]);
    } finally {
      await down.close();
    }
    const warning = warnings.find((w) => w.component === "budgets");
    expect(warning).toMatchObject({ level: 40, msg: expect.stringMatching(/Budget store redis is unavailable.*fail closed/) });
    // The older text hook still hears it.
    expect(texts).toContain(warning!.msg);
    expect(warnings.find((w) => w.msg === "request")).toMatchObject({ status: 503, error_code: "budget_store_unavailable", level: 40 });
    expect(JSON.stringify(warnings)).not.toContain(REDIS_PASSWORD);
  });
});
