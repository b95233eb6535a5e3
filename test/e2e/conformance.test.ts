import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectAnswerConforms, expectConforms } from "../support/conformance.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { INBOUND, type InboundApi } from "../support/matrix.js";
import { postSse } from "../support/sse-client.js";

// What Tollgate builds itself, validated against the providers' published schemas
// (test/fixtures/schemas/): the simulator's answers in every client API, streamed and not,
// with and without tool calls and JSON; errors before and inside a stream; embeddings;
// token counts and model lists. test/e2e/matrix.test.ts validates every translated answer
// of every upstream kind the same way.

const KEY = "tg-test-client-key-conformance";
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { sim: { type: "simulator" } },
      models: {
        sim: { aliases: ["*"], retry: { maxRetries: 0 }, targets: [{ provider: "sim", model: "sim" }] },
        cut: { retry: { maxRetries: 0 }, targets: [{ provider: "sim", model: "sim+cut" }] },
        down: { retry: { maxRetries: 0 }, targets: [{ provider: "sim", model: "sim+500" }] },
        small: { maxOutputTokens: 10, targets: [{ provider: "sim", model: "sim" }] },
      },
    },
    { env: { CLIENT_KEY: KEY } },
  );
});
afterAll(async () => {
  await gw?.close();
});

const headers = (api: InboundApi): Record<string, string> => (api === "messages" ? { "x-api-key": KEY, "anthropic-version": "2023-06-01" } : { authorization: `Bearer ${KEY}` });
const weather = { name: "get_weather", description: "Get the weather for a city.", schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

function body(api: InboundApi, prompt: string, stream: boolean, extra: { tools?: boolean; model?: string } = {}): Record<string, unknown> {
  const model = extra.model ?? "sim";
  switch (api) {
    case "chat":
      return {
        model,
        stream,
        messages: [{ role: "user", content: prompt }],
        ...(extra.tools ? { tools: [{ type: "function", function: { name: weather.name, description: weather.description, parameters: weather.schema } }] } : {}),
      };
    case "responses":
      return { model, stream, input: prompt, ...(extra.tools ? { tools: [{ type: "function", name: weather.name, description: weather.description, parameters: weather.schema }] } : {}) };
    case "messages":
      return {
        model,
        stream,
        max_tokens: 500,
        messages: [{ role: "user", content: prompt }],
        ...(extra.tools ? { tools: [{ name: weather.name, description: weather.description, input_schema: weather.schema }] } : {}),
      };
  }
}

/** Sends a request and returns what a client receives: the body, or the stream's payloads without [DONE]. */
async function answer(api: InboundApi, request: Record<string, unknown>) {
  const res = await postSse(`${gw.url}${INBOUND[api].path}`, request, headers(api));
  const stream = request.stream === true && res.headers["content-type"]?.toString().startsWith("text/event-stream");
  return { res, data: stream ? res.payloads.filter((p) => p !== "[DONE]") : (JSON.parse(res.text) as unknown) };
}

const APIS: InboundApi[] = ["chat", "responses", "messages"];
const cells = APIS.flatMap((api) => [false, true].flatMap((stream) => [false, true].map((tools) => [api, stream, tools] as const)));

describe("the simulator's answers in every client API", () => {
  test.each(cells)("%s, stream=%s, tools=%s", async (api, stream, tools) => {
    const prompt = tools ? "What is the weather in Paris? Use get_weather." : "Explain rate limits in nginx";
    const { res, data } = await answer(api, body(api, prompt, stream, { tools }));
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expectAnswerConforms(api, stream, data, `${api} stream=${stream} tools=${tools}`);
    expect(JSON.stringify(data)).toContain(tools ? "get_weather" : "nginx");
  });
});

describe("errors", () => {
  test.each(APIS)("%s: 400, 401, 404 and an upstream failure before the first byte in the API's error shape", async (api) => {
    const schema = api === "messages" ? "anthropic:ErrorResponse" : "openai:ErrorResponse";
    const bad = await postSse(`${gw.url}${INBOUND[api].path}`, { model: "sim" }, headers(api));
    expect(bad.status).toBe(400);
    expectConforms(schema, JSON.parse(bad.text), "400");
    const unauthenticated = await postSse(`${gw.url}${INBOUND[api].path}`, body(api, "hi", false), { ...headers(api), authorization: "Bearer wrong", "x-api-key": "wrong" });
    expect(unauthenticated.status).toBe(401);
    expectConforms(schema, JSON.parse(unauthenticated.text), "401");
    const limit = await postSse(`${gw.url}${INBOUND[api].path}`, { ...body(api, "hi", false, { model: "small" }), max_tokens: 50, max_output_tokens: 50 }, headers(api));
    expect(limit.status).toBe(400);
    expectConforms(schema, JSON.parse(limit.text), "limit");
    const down = await postSse(`${gw.url}${INBOUND[api].path}`, body(api, "hi", true, { model: "down" }), headers(api));
    expect(down.status).toBe(502);
    expectConforms(schema, JSON.parse(down.text), "502");
  });

  test.each(APIS)("%s: a stream cut after its first bytes ends with an error event in the API's shape", async (api) => {
    const { res, data } = await answer(api, body(api, "Explain rate limits in nginx", true, { model: "cut" }));
    expect(res.status).toBe(200);
    const payloads = data as string[];
    const last = JSON.parse(payloads.at(-1)!) as Record<string, unknown>;
    if (api === "chat") {
      expectConforms("openai:ErrorResponse", last, "chat error frame");
      expectAnswerConforms(api, true, payloads.slice(0, -1), "chat before the error");
    } else {
      expect(last.type).toBe("error");
      expectAnswerConforms(api, true, payloads, `${api} with its error event`);
    }
  });
});

describe("embeddings, token counts and models", () => {
  // The schema types `embedding` as numbers only; with encoding_format base64 OpenAI itself sends a string, as Tollgate does.
  test("embeddings", async () => {
    const res = await postSse(`${gw.baseURL}/embeddings`, { model: "sim", input: ["one", "two"] }, headers("chat"));
    expect(res.status).toBe(200);
    expectConforms("openai:CreateEmbeddingResponse", JSON.parse(res.text));
  });

  test("count_tokens and the model list in Anthropic's shape", async () => {
    const count = await postSse(`${gw.url}/v1/messages/count_tokens`, { model: "claude-x", messages: [{ role: "user", content: "Hi" }] }, headers("messages"));
    expectConforms("anthropic:CountTokensResponse", JSON.parse(count.text));
    const list = await fetch(`${gw.url}/v1/models`, { headers: headers("messages") });
    expectConforms("anthropic:ModelList", await list.json());
    const one = await fetch(`${gw.url}/v1/models/claude-opus-4-8`, { headers: headers("messages") });
    expectConforms("anthropic:ModelInfo", await one.json());
  });
});
