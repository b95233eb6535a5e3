import { internalsOf } from "../../src/gateway.js";
import Anthropic from "@anthropic-ai/sdk";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import { type GatewayError, StructuredOutputInvalidError } from "../../src/index.js";
import { AuthenticationError } from "../../src/errors/gateway-error.js";
import { createFakeUpstream, waitFor, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { loadJson } from "../support/fixtures.js";
import { candidateValue, simpleSchema } from "../support/json-schema-arbitraries.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { collectChatStream } from "../support/chat-stream.js";

// Structured output end to end: real SDK clients, the gateway on a real socket, fake
// upstreams (OpenAI Chat and Responses, Anthropic, Gemini, an OpenAI-compatible server)
// answering scripted JSON, some of it wrong on purpose.

const KEY = "tg-structured-client-key-0123456789";
const order = {
  type: "object",
  properties: { item: { type: "string" }, quantity: { type: "integer", minimum: 1 } },
  required: ["item", "quantity"],
  additionalProperties: false,
};
const VALID = { item: "teapot", quantity: 2 };
const messages = [{ role: "user" as const, content: "Order two teapots, as JSON." }];

type Usage = { input: number; output: number };
const chatAnswer = (content: string, usage: Usage = { input: 20, output: 10 }): UpstreamScript => ({
  kind: "json",
  status: 200,
  body: {
    id: "chatcmpl-structured",
    object: "chat.completion",
    created: 1_765_000_000,
    model: "gpt-4.1-mini",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  },
});
/** A recorded Anthropic forced-tool answer, with another input. */
const anthropicToolAnswer = (name: string, input: unknown): UpstreamScript => {
  const recorded = loadJson("anthropic/anthropic-json-tool.1.json") as { content: Record<string, unknown>[] };
  return { kind: "json", status: 200, body: { ...recorded, content: [{ ...recorded.content[0], name, input }] } };
};
/** A recorded Gemini answer, with another text. */
const geminiAnswer = (text: string): UpstreamScript => {
  const recorded = loadJson("google/google-text.json") as { candidates: { content: { parts: unknown[] } }[] };
  const candidate = recorded.candidates[0]!;
  return { kind: "json", status: 200, body: { ...recorded, candidates: [{ ...candidate, content: { ...candidate.content, parts: [{ text }] } }] } };
};
const responsesAnswer = (text: string): UpstreamScript => ({
  kind: "json",
  status: 200,
  body: {
    id: "resp_structured",
    object: "response",
    created_at: 1_765_000_000,
    status: "completed",
    model: "gpt-5-mini",
    output: [{ id: "msg_1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
    usage: { input_tokens: 30, output_tokens: 12, total_tokens: 42, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
  },
});

type Body = { messages?: { role: string; content: unknown }[]; [k: string]: unknown };
const bodyOf = (up: FakeUpstream, i: number) => up.requests[i]!.body as Body;
const textOf = (content: unknown) => (typeof content === "string" ? content : JSON.stringify(content));

let openai: FakeUpstream;
let backup: FakeUpstream;
let claude: FakeUpstream;
let gemini: FakeUpstream;
let responses: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

const fast = { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 2 } };

beforeAll(async () => {
  [openai, backup, claude, gemini, responses] = await Promise.all([createFakeUpstream(), createFakeUpstream(), createFakeUpstream(), createFakeUpstream(), createFakeUpstream()]);
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      prices: { "gpt-4.1-mini": { input: 1, output: 2 }, "local-model": { input: 1, output: 2 } },
      budgets: { rules: [{ scope: "tag", id: "team=tight", period: "day", usd: 0.003 }] },
      providers: {
        oa: { type: "openai", baseURL: openai.url },
        local: { type: "openai-compatible", baseURL: backup.url },
        claude: { type: "anthropic", baseURL: claude.url },
        gem: { type: "google", baseURL: `${gemini.origin}/v1beta`, apiKey: "gemini-key-0123456789" },
        oar: { type: "openai", api: "responses", baseURL: responses.url },
      },
      models: {
        gpt: { ...fast, targets: [{ provider: "oa", model: "gpt-4.1-mini" }] },
        "gpt-no-repair": { ...fast, structuredOutput: { repairAttempts: 0 }, targets: [{ provider: "oa", model: "gpt-4.1-mini" }] },
        "with-fallback": {
          ...fast,
          structuredOutput: { repairAttempts: 1 },
          targets: [
            { provider: "oa", model: "gpt-4.1-mini" },
            { provider: "local", model: "local-model" },
          ],
        },
        claude: { ...fast, targets: [{ provider: "claude", model: "claude-haiku-4-5" }] },
        gemini: { ...fast, targets: [{ provider: "gem", model: "gemini-2.5-flash" }] },
        responses: { ...fast, targets: [{ provider: "oar", model: "gpt-5-mini" }] },
      },
    },
    { env: { CLIENT_KEY: KEY } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([openai, backup, claude, gemini, responses].map((u) => u?.close()));
});
beforeEach(() => {
  for (const up of [openai, backup, claude, gemini, responses]) up.requests.length = 0;
});

const jsonSchemaFormat = (schema: Record<string, unknown> = order) => ({ type: "json_schema" as const, json_schema: { name: "order", schema, strict: true } });

describe("Chat Completions with response_format json_schema", () => {
  test("invalid JSON, then a schema violation, then a valid answer: the client gets the object; three metered attempts; the errors are fed back", async () => {
    openai.enqueue(
      chatAnswer("Sure! Here is your order: teapot x2", { input: 20, output: 9 }),
      chatAnswer(JSON.stringify({ item: "teapot" }), { input: 60, output: 6 }),
      chatAnswer(JSON.stringify(VALID), { input: 90, output: 8 }),
    );
    const { data, response } = await client.chat.completions.create({ model: "gpt", messages, response_format: jsonSchemaFormat() }).withResponse();
    expect(JSON.parse(data.choices[0]!.message.content!)).toEqual(VALID);
    expect(data.choices[0]!.finish_reason).toBe("stop");
    // The answer's usage is the whole request's: every step.
    expect(data.usage).toMatchObject({ prompt_tokens: 170, completion_tokens: 23 });
    expect(response.headers.get("x-tollgate-repairs")).toBe("2");

    // Upstream: native strict json_schema every time; the 2nd and 3rd carry the bad answer and its violations.
    expect(openai.requests).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(bodyOf(openai, i).response_format).toEqual({ type: "json_schema", json_schema: { name: "order", schema: order, strict: true } });
    const second = bodyOf(openai, 1).messages!;
    expect(second.slice(-2)[0]).toEqual({ role: "assistant", content: "Sure! Here is your order: teapot x2" });
    expect(second.at(-1)!.role).toBe("user");
    expect(textOf(second.at(-1)!.content)).toContain("(root): is not valid JSON");
    const third = bodyOf(openai, 2).messages!;
    expect(third).toHaveLength(5);
    expect(third[3]).toEqual({ role: "assistant", content: JSON.stringify({ item: "teapot" }) });
    expect(textOf(third[4]!.content)).toContain("(root): must have required property 'quantity'");

    // The ledger: three attempts, each with its own usage and cost, summed on the request.
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.status).toBe(200);
    expect(record.attempts.map((a) => [a.status, a.usage?.inputTokens, a.usage?.outputTokens])).toEqual([
      ["ok", 20, 9],
      ["ok", 60, 6],
      ["ok", 90, 8],
    ]);
    expect(record.usage).toMatchObject({ inputTokens: 170, outputTokens: 23 });
    expect(record.costNanos).toBe(170 * 1_000 + 23 * 2_000);
    const sql = await internalsOf(gw.gateway).services.store();
    await waitFor(async () => (await sql.query("SELECT 1 FROM tollgate_ledger_attempts WHERE request_id = $1", [record.id])).length === 3, { message: "attempts in the ledger" });
    const rows = await sql.query<{ attempt: number; input_tokens: number; output_tokens: number }>(
      "SELECT attempt, input_tokens, output_tokens FROM tollgate_ledger_attempts WHERE request_id = $1 ORDER BY attempt",
      [record.id],
    );
    expect(rows.map((r) => [r.attempt, r.input_tokens, r.output_tokens])).toEqual([
      [1, 20, 9],
      [2, 60, 6],
      [3, 90, 8],
    ]);
  });

  test("only invalid answers: 422 structured_output_invalid with the violations, every attempt metered", async () => {
    openai.enqueue(chatAnswer("nope"), chatAnswer(JSON.stringify({ item: 3, quantity: 0 })), chatAnswer(JSON.stringify({ item: "x", quantity: 1, colour: "red" })));
    const res = await request(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: "gpt", messages, response_format: jsonSchemaFormat() }),
    });
    expect(res.statusCode).toBe(422);
    const body = (await res.body.json()) as { error: { code: string; type: string; message: string; violations: { path: string; message: string }[]; answers: number } };
    expect(body.error.code).toBe("structured_output_invalid");
    expect(body.error.answers).toBe(3);
    expect(body.error.violations).toEqual([{ path: "", message: 'must NOT have additional properties: "colour"' }]);
    expect(openai.requests).toHaveLength(3);
    // The second answer's two violations went back in the third request.
    expect(textOf(bodyOf(openai, 2).messages!.at(-1)!.content)).toContain("/item: must be string");
    expect(textOf(bodyOf(openai, 2).messages!.at(-1)!.content)).toContain("/quantity: must be >= 1");
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record).toMatchObject({ status: 422, outcome: "failed", errorCode: "structured_output_invalid" });
    expect(record.attempts).toHaveLength(3);
    expect(record.attempts.every((a) => a.usage?.inputTokens === 20 && a.costNanos === 40_000)).toBe(true);
    expect(record.usage).toMatchObject({ inputTokens: 60, outputTokens: 30 });
    expect(record.costNanos).toBe(3 * 40_000);
  });

  test("a streaming client gets the validated answer as a stream (validated before the first byte)", async () => {
    openai.enqueue(chatAnswer("{bad"), chatAnswer(JSON.stringify(VALID)));
    const stream = await client.chat.completions.create({ model: "gpt", messages, response_format: jsonSchemaFormat(), stream: true, stream_options: { include_usage: true } });
    const { text, finish, usage } = await collectChatStream(stream);
    expect(JSON.parse(text)).toEqual(VALID);
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 20 });
    // Upstream calls are complete answers, not streams.
    expect(openai.requests.map((r) => (r.body as Body).stream ?? false)).toEqual([false, false]);
  });

  test("an invalid schema is a 400 before any upstream call", async () => {
    const err = await client.chat.completions.create({ model: "gpt", messages, response_format: jsonSchemaFormat({ type: "object", properties: { a: { type: "strnig" } } }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.code).toBe("invalid_response_schema");
    expect(e.param).toBe("response_format.json_schema.schema");
    expect(e.message).toContain("schema is invalid");
    const unresolved = await client.chat.completions.create({ model: "gpt", messages, response_format: jsonSchemaFormat({ $ref: "#/$defs/missing" }) }).catch((x: unknown) => x);
    expect((unresolved as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("invalid_response_schema");
    expect(openai.requests).toHaveLength(0);
  });

  test("after the repairs fail on one target, the next target is asked (JSON mode and the schema as an instruction there)", async () => {
    openai.enqueue(chatAnswer("no"), chatAnswer("still no"));
    backup.enqueue(chatAnswer(JSON.stringify(VALID)));
    const { data, response } = await client.chat.completions
      .create({ model: "with-fallback", messages: [{ role: "system", content: "You take orders." }, ...messages], response_format: jsonSchemaFormat() })
      .withResponse();
    expect(JSON.parse(data.choices[0]!.message.content!)).toEqual(VALID);
    expect(response.headers.get("x-tollgate-target")).toBe("local/local-model");
    expect(openai.requests).toHaveLength(2);
    const sent = bodyOf(backup, 0);
    expect(sent.response_format).toEqual({ type: "json_object" });
    // The fallback starts from the client's conversation, not the first target's repairs.
    expect(sent.messages!.map((m) => m.role)).toEqual(["system", "system", "user"]);
    expect(sent.messages![0]!.content).toBe("You take orders.");
    expect(textOf(sent.messages![1]!.content)).toContain(JSON.stringify(order));
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.attempts.map((a) => a.provider)).toEqual(["oa", "oa", "local"]);
    expect(record.attempts.every((a) => a.usage !== undefined)).toBe(true);
  });

  test("when no target answers at all, the error is the usual all_targets_failed, naming every target", async () => {
    openai.enqueue({ kind: "json", status: 500, body: { error: { message: "down" } } });
    backup.enqueue({ kind: "json", status: 503, body: { error: { message: "down too" } } });
    const err = await client.chat.completions.create({ model: "with-fallback", messages, response_format: jsonSchemaFormat() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(502);
    expect(e.code).toBe("all_targets_failed");
    expect(e.message).toContain("oa/gpt-4.1-mini#1");
    expect(e.message).toContain("local/local-model#2");
  });

  test("a budget that allows one call but not a repair: stopped with 429 before the repair, never overspent", async () => {
    // $0.003 a day for team=tight; one call's worst case (1,000 output tokens at $2/M plus the prompt) fits, two do not.
    openai.enqueue(chatAnswer("not json", { input: 20, output: 10 }));
    const tight = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0, defaultHeaders: { "x-tollgate-tags": "team=tight" } });
    const { error, response } = await tight.chat.completions
      .create({ model: "gpt", messages, max_tokens: 1_000, response_format: jsonSchemaFormat() })
      .withResponse()
      .then((r) => ({ error: undefined, response: r.response }))
      .catch((e: InstanceType<typeof OpenAI.APIError>) => ({ error: e, response: undefined }));
    expect(response).toBeUndefined();
    expect(error?.status).toBe(429);
    expect(error?.code).toBe("budget_exceeded");
    expect(openai.requests).toHaveLength(1);
    const record = await gw.recordOf(error!.headers?.get("x-request-id") ?? undefined);
    expect(record.costNanos).toBe(20 * 1_000 + 10 * 2_000);
    // What was spent is what was settled: the next request sees $0.003 minus that call.
    openai.enqueue(chatAnswer(JSON.stringify(VALID)));
    const again = await tight.chat.completions.create({ model: "gpt", messages, max_tokens: 1_000, response_format: jsonSchemaFormat() });
    expect(JSON.parse(again.choices[0]!.message.content!)).toEqual(VALID);
    openai.requests.length = 0;
    openai.setDefault(chatAnswer("oops"));
    // Only budget left for one call: a request whose repair would overspend stops after its first answer.
    const third = await tight.chat.completions.create({ model: "gpt", messages, max_tokens: 1_000, response_format: jsonSchemaFormat() }).catch((e: InstanceType<typeof OpenAI.APIError>) => e);
    openai.setDefault({ kind: "json", status: 500, body: { error: { message: "no script" } } });
    expect((third as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect(openai.requests).toHaveLength(1);
  });
});

describe("the gateway's verdict", () => {
  test("equals ajv's on random answers to random schemas; every 422 lists at least one violation (property)", async () => {
    const reference = new Ajv2020({ allErrors: true, strict: false });
    await fc.assert(
      fc.asyncProperty(simpleSchema, candidateValue, async (schema, value) => {
        openai.enqueue(chatAnswer(JSON.stringify(value)));
        const res = await request(`${gw.baseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ model: "gpt-no-repair", messages, response_format: { type: "json_schema", json_schema: { name: "random", schema } } }),
        });
        const body = (await res.body.json()) as { choices?: { message: { content: string } }[]; error?: { code: string; violations: unknown[] } };
        if (reference.validate(schema, value)) {
          expect(res.statusCode).toBe(200);
          expect(JSON.parse(body.choices![0]!.message.content)).toEqual(value);
        } else {
          expect(res.statusCode).toBe(422);
          expect(body.error!.code).toBe("structured_output_invalid");
          expect(body.error!.violations.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 60 },
    );
    expect(openai.pending()).toBe(0);
  });
});

describe("other client APIs and providers", () => {
  test("Responses API text.format, Responses upstream: text.format on the wire, the object in output_text", async () => {
    responses.enqueue(responsesAnswer('{"item": "teapot"}'), responsesAnswer(JSON.stringify(VALID)));
    const answer = await client.responses.create({ model: "responses", input: "Order two teapots.", text: { format: { type: "json_schema", name: "order", schema: order, strict: true } } });
    expect(JSON.parse(answer.output_text)).toEqual(VALID);
    expect(responses.requests).toHaveLength(2);
    expect((bodyOf(responses, 0) as { text: unknown }).text).toEqual({ format: { type: "json_schema", name: "order", schema: order, strict: true } });
    const repairInput = (bodyOf(responses, 1) as { input: { role: string; content: unknown }[] }).input;
    expect(repairInput.at(-2)).toMatchObject({ role: "assistant", content: '{"item": "teapot"}' });
    expect(textOf(repairInput.at(-1)!.content)).toContain("must have required property 'quantity'");
  });

  test("Anthropic upstream: a forced tool call whose input is the answer, given back as text", async () => {
    claude.enqueue(anthropicToolAnswer("order", { item: "teapot", quantity: "two" }), anthropicToolAnswer("order", VALID));
    const { data, response } = await client.chat.completions.create({ model: "claude", messages, response_format: jsonSchemaFormat() }).withResponse();
    expect(JSON.parse(data.choices[0]!.message.content!)).toEqual(VALID);
    expect(data.choices[0]!.message.tool_calls).toBeUndefined();
    expect(data.choices[0]!.finish_reason).toBe("stop");
    const sent = bodyOf(claude, 0) as Record<string, unknown>;
    expect(sent.tool_choice).toEqual({ type: "tool", name: "order" });
    expect(sent.tools).toEqual([{ name: "order", description: expect.any(String), input_schema: order }]);
    expect(sent.output_config).toBeUndefined();
    const repair = (bodyOf(claude, 1) as { messages: { role: string; content: { type: string; text?: string }[] }[] }).messages;
    expect(repair.at(-2)).toEqual({ role: "assistant", content: [{ type: "text", text: JSON.stringify({ item: "teapot", quantity: "two" }) }] });
    expect(repair.at(-1)!.content[0]!.text).toContain("/quantity: must be integer");
    expect(response.headers.get("x-tollgate-repairs")).toBe("1");
  });

  test("a Messages client with Tollgate's tollgate_response_schema field, Anthropic upstream; a non-object schema is wrapped", async () => {
    const list = { type: "array", items: { type: "string" }, minItems: 2 };
    claude.enqueue(anthropicToolAnswer("colours", { value: ["red", "green"] }));
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "claude",
      max_tokens: 200,
      messages: [{ role: "user", content: "Two colours." }],
      tollgate_response_schema: { name: "colours", schema: list },
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: '["red","green"]' })]);
    const sent = bodyOf(claude, 0) as Record<string, unknown>;
    expect(sent.tools).toEqual([{ name: "colours", description: expect.any(String), input_schema: { type: "object", properties: { value: list }, required: ["value"] } }]);
    expect(sent.tollgate_response_schema).toBeUndefined();
    // The extension is checked like any field.
    const bad = await anthropic.messages
      .create({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "x" }], tollgate_response_schema: { schema: "object" } } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as Error).message).toContain("tollgate_response_schema.schema");
  });

  test("a streaming Messages client, OpenAI upstream: the schema goes native, the validated JSON streams as a text block", async () => {
    openai.enqueue(chatAnswer("[]"), chatAnswer(JSON.stringify(VALID)));
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: "gpt", max_tokens: 200, messages, top_k: 5, tollgate_response_schema: { name: "order", schema: order } } as Anthropic.MessageStreamParams);
    const final = await stream.finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: "text", text: JSON.stringify(VALID) })]);
    expect(final.stop_reason).toBe("end_turn");
    expect(bodyOf(openai, 0).response_format).toEqual({ type: "json_schema", json_schema: { name: "order", schema: order, strict: true } });
    expect(textOf(bodyOf(openai, 1).messages!.at(-1)!.content)).toContain("(root): must be object");
    // A Messages field the Chat target never saw is named, as for any translated request.
    const response = await stream.withResponse();
    expect(response.response.headers.get("x-tollgate-dropped")).toBe("top_k");
  });

  test("Gemini upstream: responseSchema on the wire", async () => {
    gemini.enqueue(geminiAnswer(JSON.stringify(VALID)));
    const data = await client.chat.completions.create({ model: "gemini", messages, response_format: jsonSchemaFormat() });
    expect(JSON.parse(data.choices[0]!.message.content!)).toEqual(VALID);
    const sent = bodyOf(gemini, 0) as { generationConfig: Record<string, unknown> };
    expect(sent.generationConfig.responseMimeType).toBe("application/json");
    expect(sent.generationConfig.responseSchema).toEqual({ type: "object", properties: { item: { type: "string" }, quantity: { type: "integer", minimum: 1 } }, required: ["item", "quantity"] });
  });

  test("requests without a schema are relayed as before: the client's body as sent", async () => {
    openai.enqueue(chatAnswer("plain text"));
    const data = await client.chat.completions.create({ model: "gpt", messages, logprobs: true });
    expect(data.choices[0]!.message.content).toBe("plain text");
    expect(bodyOf(openai, 0)).toEqual({ model: "gpt-4.1-mini", messages, logprobs: true });
  });
});

describe("library mode: gateway.generateObject with a zod schema", () => {
  const Order = z.object({ item: z.string(), quantity: z.number().int().min(1), gift: z.boolean().default(false) });

  test("returns the typed object, repaired like any request; a given identity is used as is", async () => {
    openai.enqueue(chatAnswer(JSON.stringify({ item: "teapot", quantity: 0 })), chatAnswer(JSON.stringify(VALID)));
    const result = await gw.gateway.generateObject({ model: "gpt", messages, schema: Order, name: "order", identity: { keyId: "library-caller" } });
    // Typed: z.output of the schema (the default filled in).
    const typed: { item: string; quantity: number; gift: boolean } = result;
    expect(typed).toEqual({ ...VALID, gift: false });
    const sent = bodyOf(openai, 0) as { response_format: { json_schema: { schema: Record<string, unknown> } } };
    expect(sent.response_format.json_schema.schema).toMatchObject({ type: "object", required: ["item", "quantity"] });
    expect(sent.response_format.json_schema.schema.$schema).toBeUndefined();
    await waitFor(() => gw.records.some((r) => r.identity?.keyId === "library-caller"), { message: "library record" });
    expect(gw.records.find((r) => r.identity?.keyId === "library-caller")!.attempts).toHaveLength(2);
  });

  test("what the JSON Schema cannot say (a refinement) is still checked by the zod schema", async () => {
    openai.enqueue(chatAnswer(JSON.stringify({ item: "teapot", quantity: 3 })));
    const Even = z.object({ item: z.string(), quantity: z.number().refine((n) => n % 2 === 0, "must be even") });
    const err = await gw.gateway.generateObject({ model: "gpt", messages, schema: Even, identity: { keyId: "library-caller" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StructuredOutputInvalidError);
    expect((err as StructuredOutputInvalidError).violations).toEqual([{ path: "/quantity", message: "must be even" }]);
  });

  test("without an identity the gateway authenticates the given headers; failures throw the gateway's own error object", async () => {
    const denied = await gw.gateway.generateObject({ model: "gpt", messages, schema: Order }).catch((e: unknown) => e);
    // The error the pipeline threw, with its class, not one rebuilt from a rendered body.
    expect(denied).toBeInstanceOf(AuthenticationError);
    expect((denied as GatewayError).status).toBe(401);
    openai.enqueue(chatAnswer("x"), chatAnswer("y"), chatAnswer("z"));
    const invalid = await gw.gateway.generateObject({ model: "gpt", messages, schema: Order, headers: { authorization: `Bearer ${KEY}` } }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(StructuredOutputInvalidError);
    expect((invalid as GatewayError).status).toBe(422);
    expect((invalid as GatewayError).exposed?.violations).toEqual([{ path: "", message: expect.stringContaining("is not valid JSON") }]);
  });
});
