import Database from "better-sqlite3";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { createFakeUpstream, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { startOtlpReceiver, type OtlpReceiver } from "../support/otlp-receiver.js";

// Upstreams quote keys back in their errors (a wrong key echoed in `param`, a key in `code`,
// in a nested detail). Whatever field it lands in, no key leaves the gateway: not in the
// client's answer (body, headers, stream error frames), the logs, the ledger, the metrics
// or the traces.

const PROVIDER_KEY = "prov0SECRET0key0Zq81";
const CLIENT_KEY = "client0SECRET0Wx72";
const ADMIN_KEY = "admin0SECRET0Rt55";
let virtualKey = "";

let upstream: FakeUpstream;
let receiver: OtlpReceiver;
let gw: TestGateway;
let dir: string;
const lines: string[] = [];
const answers: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tollgate-redaction-"));
  upstream = await createFakeUpstream();
  receiver = await startOtlpReceiver();
  gw = await startGateway(
    {
      database: { url: `sqlite:${join(dir, "ledger.db")}` },
      ledger: { spoolDir: join(dir, "spool") },
      auth: { keys: ["env:CLIENT"] },
      admin: { keys: ["env:ADMIN"] },
      observability: { traces: { endpoint: receiver.endpoint } },
      providers: {
        oa: { type: "openai", baseURL: upstream.url, apiKey: "env:PROV" },
        ant: { type: "anthropic", baseURL: upstream.url, apiKey: "env:PROV" },
        gem: { type: "google", baseURL: `${upstream.origin}/v1beta`, apiKey: "env:PROV" },
      },
      models: {
        oa: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 1000 }, targets: [{ provider: "oa", model: "gpt-4o-mini" }] },
        ant: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 1000 }, targets: [{ provider: "ant", model: "claude-haiku-4-5" }] },
        gem: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 1000 }, targets: [{ provider: "gem", model: "gemini-2.5-flash" }] },
      },
    },
    { env: { CLIENT: CLIENT_KEY, ADMIN: ADMIN_KEY, PROV: PROVIDER_KEY }, logger: createLogger("info", { write: (line: string) => void lines.push(line) }) },
  );
  const created = await request(`${gw.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ user_id: "fuzz" }),
  });
  virtualKey = ((await created.body.json()) as { secret: string }).secret;
  expect(virtualKey).toMatch(/^tg_/);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const secrets = () => [PROVIDER_KEY, CLIENT_KEY, ADMIN_KEY, virtualKey];

/** A JSON value with the planted text at a random place among random fields. */
const planted = (secretIndex: number) =>
  fc
    .letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constantFrom("@K@", "x @K@ y", "invalid key: @K@", "Bearer @K@"),
        fc.array(tie("value"), { minLength: 1, maxLength: 3 }),
        fc.dictionary(fc.constantFrom("message", "code", "param", "type", "detail", "hint", "status"), tie("value"), { minKeys: 1, maxKeys: 3 }),
      ),
    }))
    .value.map((v) => JSON.parse(JSON.stringify(v).replaceAll("@K@", () => secrets()[secretIndex]!)) as unknown);

const errorBody = (secretIndex: number) =>
  fc
    .record({
      message: fc.oneof(fc.constant("bad"), fc.constant("bad key @K@")),
      code: fc.oneof(fc.constant("invalid_api_key"), fc.constant("@K@")),
      param: fc.oneof(fc.constant(null), fc.constant("@K@")),
      type: fc.oneof(fc.constant("invalid_request_error"), fc.constant("@K@")),
      extra: planted(secretIndex),
    })
    .map((e) => JSON.parse(JSON.stringify(e).replaceAll("@K@", () => secrets()[secretIndex]!)) as Record<string, unknown>);

type Api = "oa" | "ant" | "gem";

/** The body's JSON text, each key's first character written as a \\u escape: the same value once parsed, not the same text. */
function escapedKeys(body: unknown): string {
  let text = JSON.stringify(body);
  for (const secret of secrets()) text = text.replaceAll(secret, `\\u${secret.charCodeAt(0).toString(16).padStart(4, "0")}${secret.slice(1)}`);
  return text;
}

function script(api: Api, status: number, error: Record<string, unknown>, midStream: boolean, escaped: boolean): UpstreamScript {
  if (!midStream) {
    const body = api === "ant" ? { type: "error", error } : api === "gem" ? { error: { ...error, status: error.type } } : { error };
    return escaped ? { kind: "status", status, body: escapedKeys(body), headers: { "content-type": "application/json" } } : { kind: "json", status, body };
  }
  const frames =
    api === "ant"
      ? [
          `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "m", model: "claude-haiku-4-5", usage: { input_tokens: 5, output_tokens: 1 } } })}\n\n`,
          `event: content_block_start\ndata: ${JSON.stringify({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })}\n\n`,
          `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello" } })}\n\n`,
          `event: error\ndata: ${JSON.stringify({ type: "error", error })}\n\n`,
        ]
      : api === "gem"
        ? [`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: "Hello" }], role: "model" }, index: 0 }] })}\n\n`, `data: ${JSON.stringify({ error: { ...error, code: status } })}\n\n`]
        : [
            `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "gpt-4o-mini", choices: [{ index: 0, delta: { role: "assistant", content: "Hello" } }] })}\n\n`,
            `data: ${JSON.stringify({ error })}\n\n`,
          ];
  return { kind: "sse", chunks: frames.map((f) => Buffer.from(f)) };
}

async function call(api: Api, stream: boolean, key: string): Promise<string> {
  const path = api === "ant" ? "/v1/messages" : "/v1/chat/completions";
  const body = api === "ant" ? { model: api, max_tokens: 50, stream, messages: [{ role: "user", content: "hi" }] } : { model: api, stream, messages: [{ role: "user", content: "hi" }] };
  const res = await request(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return `${res.statusCode} ${JSON.stringify(res.headers)} ${text}`;
}

describe("nothing secret relayed", () => {
  test("keys planted in random fields of random upstream errors appear nowhere", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Api>("oa", "ant", "gem"),
        fc.constantFrom(400, 401, 403, 404, 409, 422, 429, 500, 503),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }).chain((i) => errorBody(i)),
        fc.boolean(),
        fc.boolean(),
        async (api, status, midStream, error, useVirtual, escaped) => {
          upstream.enqueue(script(api, status, error, midStream, escaped));
          const answer = await call(api, midStream, useVirtual ? virtualKey : CLIENT_KEY);
          answers.push(answer);
          for (const secret of secrets()) expect(answer).not.toContain(secret);
        },
      ),
      { numRuns: 60 },
    );
    // Every planted error reached the gateway.
    expect(upstream.requests.length).toBeGreaterThanOrEqual(60);
    const metrics = await (await request(`${gw.url}/metrics`)).body.text();
    await gw.close();
    const db = new Database(join(dir, "ledger.db"), { readonly: true });
    const ledger = JSON.stringify([db.prepare("SELECT * FROM tollgate_requests").all(), db.prepare("SELECT * FROM tollgate_attempts").all()]);
    const rows = db.prepare("SELECT COUNT(*) AS n FROM tollgate_requests").get() as { n: number };
    db.close();
    expect(rows.n).toBeGreaterThanOrEqual(60);
    const traces = JSON.stringify(receiver.spans);
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of secrets()) {
      for (const [where, text] of [
        ["logs", lines.join("\n")],
        ["ledger", ledger],
        ["metrics", metrics],
        ["traces", traces],
      ] as const) {
        expect(text.includes(secret), `${where} quote a key`).toBe(false);
      }
    }
  }, 120_000);
});
