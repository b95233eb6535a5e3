import fc from "fast-check";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/json/json-depth.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// Nesting depth in every field of every API: a value nested deeper than any real input
// gets a 400 naming the field (never a 500 from a stack overflow, never a 200 that carries
// it on), and anything shallower is handled as before. 100,000 levels included.

const KEY = "json-depth-key-0123456789";
let gw: TestGateway;
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      server: { bodyLimitBytes: 4 * 1024 * 1024 },
      auth: { keys: ["env:KEY"] },
      providers: { sim: { type: "simulator", ttftMs: 0, tokensPerSecond: 100_000 }, up: { type: "openai", baseURL: upstream.url } },
      models: {
        sim: { targets: [{ provider: "sim", model: "sim" }] },
        emb: { targets: [{ provider: "sim", model: "sim-embed" }] },
        up: { retry: { maxRetries: 0 }, targets: [{ provider: "up", model: "m" }] },
      },
    },
    { env: { KEY } },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

type Api = "/v1/chat/completions" | "/v1/responses" | "/v1/messages" | "/v1/embeddings";

/** Per API: a valid body, and the places where a client may put a JSON value of its own choosing (path segments from the body's root). */
const APIS: Record<Api, { base: () => Record<string, unknown>; fields: (string | number)[][] }> = {
  "/v1/chat/completions": {
    base: () => ({
      model: "sim",
      max_tokens: 5,
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object" } } },
    }),
    fields: [
      ["metadata"],
      ["tools", 0, "function", "parameters", "properties"],
      ["response_format", "json_schema", "schema", "properties"],
      ["messages", 0, "content", 0, "extra"],
      ["x_unknown"],
      ["stream_options"],
    ],
  },
  "/v1/responses": {
    base: () => ({
      model: "sim",
      max_output_tokens: 5,
      input: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
      text: { format: { type: "json_schema", name: "s", schema: { type: "object" } } },
    }),
    fields: [["metadata"], ["tools", 0, "parameters", "properties"], ["text", "format", "schema", "properties"], ["input", 0, "extra"], ["x_unknown"]],
  },
  "/v1/messages": {
    base: () => ({
      model: "sim",
      max_tokens: 5,
      system: [{ type: "text", text: "be brief" }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      tools: [{ name: "f", input_schema: { type: "object" } }],
    }),
    fields: [["metadata"], ["tools", 0, "input_schema", "properties"], ["system", 0, "extra"], ["messages", 0, "content", 0, "extra"], ["x_unknown"]],
  },
  "/v1/embeddings": {
    base: () => ({ model: "emb", input: ["hello"] }),
    fields: [["input"], ["x_unknown"], ["metadata"]],
  },
};

const SLOT = "__nested_value__";

/** The JSON text of `depth` levels of arrays or objects around a string (built as text: serialising it would overflow the stack). */
function nestedText(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? `${"[".repeat(depth)}"leaf"${"]".repeat(depth)}` : `${'{"k":'.repeat(depth)}"leaf"${"}".repeat(depth)}`;
}

function place(body: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let at: Record<string | number, unknown> = body;
  for (const segment of path.slice(0, -1)) at = at[segment] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
}

async function send(path: Api, body: string) {
  const res = await request(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body, headersTimeout: 20_000, bodyTimeout: 20_000 });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

describe("JSON nesting depth in every field of every API", () => {
  test("deeper than the limit is a 400 naming the field; shallower is never a 5xx", async () => {
    const cases = fc.constantFrom(...(Object.keys(APIS) as Api[])).chain((api) =>
      fc.record({
        api: fc.constant(api),
        field: fc.constantFrom(...APIS[api].fields),
        depth: fc.oneof(fc.integer({ min: 1, max: MAX_JSON_DEPTH + 8 }), fc.constantFrom(1_000, 100_000)),
        kind: fc.constantFrom("array" as const, "object" as const),
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ api, field, depth, kind }) => {
        const body = APIS[api].base();
        place(body, field, SLOT);
        const res = await send(api, JSON.stringify(body).replace(`"${SLOT}"`, nestedText(depth, kind)));
        expect(res.status, res.text).toBeLessThan(500);
        // The value sits `field.length` levels down; its own nesting adds `depth`.
        if (field.length + depth > MAX_JSON_DEPTH) {
          expect(res.status, res.text).toBe(400);
          const error = (JSON.parse(res.text) as { error: { code?: string; param?: string | null; type?: string } }).error;
          // Messages errors carry no code: its message names the field there.
          if (api === "/v1/messages") expect(res.text).toContain(String(field[0]));
          else expect(error).toMatchObject({ code: "json_too_deep", param: expect.stringMatching(new RegExp(`^${String(field[0])}`)) });
        }
      }),
      { numRuns: 120 },
    );
  }, 120_000);

  test("an upstream answer nested 100,000 deep is a malformed upstream answer (502), not a crash", async () => {
    const deep = `${'{"k":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    upstream.enqueue({
      kind: "status",
      status: 200,
      body: `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi","extra":${deep}},"finish_reason":"stop"}]}`,
      headers: { "content-type": "application/json" },
    });
    const res = await send("/v1/chat/completions", JSON.stringify({ model: "up", messages: [{ role: "user", content: "hi" }] }));
    expect(res.status, res.text).toBe(502);
    expect(res.text).toContain("nested more than");
  });
});
