import fc from "fast-check";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadText } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// Bad input gets a clear 4xx in OpenAI's error shape: never a 500, never a crash,
// and never a call to the upstream.

const KEY = "tg-bad-input-key-0123456789";
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  upstream.setDefault({ kind: "status", status: 200, body: loadText("openai-chat/openai-text.json"), headers: { "content-type": "application/json" } });
  gw = await startGateway(
    {
      server: { bodyLimitBytes: 16 * 1024 },
      auth: { keys: ["env:KEY"] },
      providers: { up: { type: "openai", baseURL: upstream.url } },
      models: { fast: { maxOutputTokens: 1000, contextWindow: 2000, targets: [{ provider: "up", model: "m" }] } },
    },
    { env: { KEY } },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function send(body: string | Buffer, headers: Record<string, string> = {}, method = "POST", path = "/v1/chat/completions") {
  const res = await request(`${gw.url}${path}`, {
    method: method as "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...headers },
    ...(method === "GET" ? {} : { body }),
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { error: { code: string; type: string; message: string; param: string | null } } };
}

const valid = { model: "fast", messages: [{ role: "user", content: "hi" }] };

describe("each kind of bad input", () => {
  test.each([
    ["malformed JSON", '{"model": ', 400, "invalid_json", null],
    ["empty body", "", 400, "invalid_json", null],
    ["a JSON array", "[1,2]", 400, "invalid_request", null],
    ["messages of the wrong type", JSON.stringify({ model: "fast", messages: "hi" }), 400, "invalid_request", "messages"],
    ["no messages", JSON.stringify({ model: "fast", messages: [] }), 400, "invalid_request", "messages"],
    ["a bad role", JSON.stringify({ model: "fast", messages: [{ role: "wizard", content: "x" }] }), 400, "invalid_request", "messages[0].role"],
    ["temperature as a string", JSON.stringify({ ...valid, temperature: "hot" }), 400, "invalid_request", "temperature"],
    ["stream as a string", JSON.stringify({ ...valid, stream: "yes" }), 400, "invalid_request", "stream"],
    ["max_tokens over the route's limit", JSON.stringify({ ...valid, max_tokens: 5000 }), 400, "max_tokens_exceeded", "max_tokens"],
    [
      "a prompt that cannot fit the context window",
      JSON.stringify({ ...valid, max_tokens: 900, messages: [{ role: "user", content: "word ".repeat(1500) }] }),
      400,
      "context_length_exceeded",
      "messages",
    ],
    ["an unknown model", JSON.stringify({ ...valid, model: "gpt-9" }), 404, "model_not_found", "model"],
    ["a model named like an Object property", JSON.stringify({ ...valid, model: "constructor" }), 404, "model_not_found", "model"],
    ["a body over the limit", JSON.stringify({ ...valid, padding: "x".repeat(20_000) }), 413, "request_too_large", null],
  ])("%s", async (_name, body, status, code, param) => {
    const before = upstream.requests.length;
    const res = await send(body);
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json().error).toMatchObject({ code, param, type: expect.any(String), message: expect.any(String) });
    expect(upstream.requests.length).toBe(before);
  });

  test("the model catalogue lists each route with its limits", async () => {
    const res = await send("", {}, "GET", "/v1/models");
    expect(JSON.parse(res.text)).toEqual({ object: "list", data: [{ id: "fast", object: "model", created: 0, owned_by: "tollgate", context_window: 2000, max_output_tokens: 1000 }] });
  });

  test("missing and wrong keys", async () => {
    expect((await send(JSON.stringify(valid), { authorization: "" })).json().error.code).toBe("missing_api_key");
    const wrong = await send(JSON.stringify(valid), { authorization: "Bearer tg-not-the-key" });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error.code).toBe("invalid_api_key");
    expect(wrong.text).not.toContain("tg-not-the-key");
  });

  test("wrong content type, method and path", async () => {
    expect((await send("model=fast", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await send("", {}, "GET")).status).toBe(405);
    expect((await send("", {}, "GET", "/v1/nothing")).json().error.code).toBe("not_found");
  });

  test("a body over the limit sent without content-length (chunked) is refused too", async () => {
    const res = await request(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: Readable.from(
        (async function* () {
          for (let i = 0; i < 40; i++) yield Buffer.from("x".repeat(1024));
        })(),
      ),
    });
    expect(res.statusCode).toBe(413);
    await res.body.text();
  });
});

describe("fuzz", () => {
  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  // Valid-looking bodies with any field replaced by any JSON value.
  const mutated = fc.record(
    {
      model: fc.oneof(fc.constant("fast"), jsonValue),
      messages: fc.oneof(
        fc.array(fc.record({ role: fc.oneof(fc.constantFrom("system", "user", "assistant", "tool", "developer"), jsonValue), content: fc.oneof(fc.string(), jsonValue) }, { requiredKeys: [] }), {
          maxLength: 3,
        }),
        jsonValue,
      ),
      stream: fc.oneof(fc.boolean(), jsonValue),
      temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), jsonValue),
      max_tokens: fc.oneof(fc.integer({ min: -5, max: 2000 }), jsonValue),
      n: fc.oneof(fc.integer({ min: 0, max: 3 }), jsonValue),
      tools: jsonValue,
      tool_choice: jsonValue,
      response_format: jsonValue,
    },
    { requiredKeys: [] },
  );

  test("any JSON body: a 200 or an OpenAI-shaped 4xx, the upstream called only for valid ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonValue, mutated), async (body) => {
        const before = upstream.requests.length;
        const res = await send(JSON.stringify(body));
        if (res.status === 200) {
          expect(upstream.requests.length).toBe(before + 1);
          return;
        }
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.json().error.code).toEqual(expect.any(String));
        expect(upstream.requests.length).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  test("arbitrary bytes: never a 5xx, and the gateway stays healthy", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const res = await send(Buffer.from(bytes));
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
    expect((await send("", {}, "GET", "/healthz")).status).toBe(200);
  });
});
