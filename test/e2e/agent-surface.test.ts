import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadText } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// What agents call around the chat: token counts, model lists in their own API's shape,
// model names matched by pattern, the base URL probe; and ids in each API's own form.

let anthropicUp: FakeUpstream;
let gw: TestGateway;
let anthropic: Anthropic;
let openai: OpenAI;
const KEY = "tg-test-agent-surface-key-0123";

beforeAll(async () => {
  anthropicUp = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { ant: { type: "anthropic", baseURL: anthropicUp.url, apiKey: "env:ANT_KEY" }, sim: { type: "simulator" } },
      models: {
        claude: { retry: { maxRetries: 0 }, aliases: ["claude-*"], targets: [{ provider: "ant", model: "*" }] },
        haiku: { retry: { maxRetries: 0 }, aliases: ["claude-haiku-*"], targets: [{ provider: "sim", model: "sim" }] },
        sim: { aliases: ["gpt-5*"], targets: [{ provider: "sim", model: "sim" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, ANT_KEY: "sk-ant-upstream-key-abcdef" } },
  );
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await anthropicUp?.close();
});

describe("POST /v1/messages/count_tokens", () => {
  test("an Anthropic target counts itself: the body, anthropic-beta and ?beta=true reach it as sent", async () => {
    anthropicUp.enqueue({ kind: "json", status: 200, body: { input_tokens: 4242 } });
    const messages: Anthropic.Beta.BetaMessageParam[] = [{ role: "user", content: [{ type: "text", text: "Count me", cache_control: { type: "ephemeral" } }] }];
    const { data, response } = await anthropic.beta.messages
      .countTokens({ model: "claude-opus-4-8", messages, betas: ["context-management-2025-06-27"], context_management: { edits: [{ type: "clear_tool_uses_20250919" }] } })
      .withResponse();
    expect(data.input_tokens).toBe(4242);
    expect(response.headers.get("x-tollgate-token-count")).toBe("upstream");
    const sent = anthropicUp.requests.at(-1)!;
    expect(sent.path).toBe("/v1/messages/count_tokens");
    expect(sent.headers["anthropic-beta"]).toBe("context-management-2025-06-27,token-counting-2024-11-01");
    expect(sent.headers["x-api-key"]).toBe("sk-ant-upstream-key-abcdef");
    expect(sent.body).toEqual({ model: "claude-opus-4-8", messages, context_management: { edits: [{ type: "clear_tool_uses_20250919" }] } });

    // Claude Code's own client calls the beta endpoints with ?beta=true.
    anthropicUp.enqueue({ kind: "json", status: 200, body: { input_tokens: 7 } });
    const res = await fetch(`${gw.url}/v1/messages/count_tokens?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-x", messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(await res.json()).toEqual({ input_tokens: 7 });
    expect(anthropicUp.requests.at(-1)!.path).toBe("/v1/messages/count_tokens?beta=true");
  });

  test("another target: the tokenizer's count, marked estimated; bad input is a 400 in Anthropic's shape", async () => {
    const short = await anthropic.messages.countTokens({ model: "claude-haiku-9", messages: [{ role: "user", content: "Hi" }] }).withResponse();
    expect(short.response.headers.get("x-tollgate-token-count")).toBe("estimated");
    const long = await anthropic.messages.countTokens({ model: "claude-haiku-9", messages: [{ role: "user", content: "Hi ".repeat(200) }] });
    expect(long.input_tokens).toBeGreaterThan(short.data.input_tokens + 150);
    await expect(anthropic.messages.countTokens({ model: "claude-haiku-9", messages: [] })).rejects.toMatchObject({ status: 400, error: { type: "error", error: { type: "invalid_request_error" } } });
    await expect(
      new Anthropic({ baseURL: gw.url, apiKey: "wrong", maxRetries: 0 }).messages.countTokens({ model: "claude-haiku-9", messages: [{ role: "user", content: "Hi" }] }),
    ).rejects.toMatchObject({ status: 401 });
  });
});

describe("models", () => {
  test("GET /v1/models in OpenAI's shape, and Anthropic's when anthropic-version is sent", async () => {
    const list = await openai.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["claude", "haiku", "sim"]);
    expect(list.data[0]).toMatchObject({ object: "model", owned_by: "tollgate" });
    const page = await anthropic.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["claude", "haiku", "sim"]);
    expect(page.data[0]).toMatchObject({ type: "model", display_name: "claude", created_at: "1970-01-01T00:00:00Z" });
  });

  test("GET /v1/models/{id} answers names that a route's pattern matches, 404 for others", async () => {
    expect(await anthropic.models.retrieve("claude-sonnet-5")).toMatchObject({ type: "model", id: "claude-sonnet-5" });
    expect(await openai.models.retrieve("gpt-5.1-codex")).toMatchObject({ object: "model", id: "gpt-5.1-codex" });
    await expect(anthropic.models.retrieve("llama-3")).rejects.toMatchObject({ status: 404, error: { type: "error", error: { type: "not_found_error" } } });
    await expect(openai.models.retrieve("llama-3")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    expect((await fetch(`${gw.url}/v1/models/%E0%A4%A`)).status).toBe(404);
  });

  test("HEAD / and GET / answer 200", async () => {
    const head = await fetch(`${gw.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(await (await fetch(`${gw.url}/`)).json()).toEqual({ name: "tollgate", status: "ok" });
  });
});

describe("routes by pattern", () => {
  test("a new model name reaches the most specific route; a * target gets the name asked for", async () => {
    anthropicUp.enqueue({ kind: "status", status: 200, body: loadText("anthropic/anthropic-text.json"), headers: { "content-type": "application/json" } });
    const { response } = await anthropic.messages.create({ model: "claude-opus-4-8", max_tokens: 100, messages: [{ role: "user", content: "Hi" }] }).withResponse();
    expect(anthropicUp.requests.at(-1)!.body).toMatchObject({ model: "claude-opus-4-8" });
    expect(response.headers.get("x-tollgate-target")).toBe("ant/claude-opus-4-8");
    expect((await gw.recordOf(response.headers.get("x-request-id") ?? undefined)).route).toBe("claude");

    const haiku = await anthropic.messages.create({ model: "claude-haiku-5", max_tokens: 300, messages: [{ role: "user", content: "Hi" }] }).withResponse();
    expect(haiku.response.headers.get("x-tollgate-target")).toBe("sim/sim");
    await expect(openai.chat.completions.create({ model: "llama-3", messages: [{ role: "user", content: "Hi" }] })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("ids in each API's own form", () => {
  test("Messages answers translated from Chat Completions carry msg_ ids, streamed or not", async () => {
    const message = await anthropic.messages.create({ model: "claude-haiku-5", max_tokens: 300, messages: [{ role: "user", content: "Hi" }] });
    expect(message.id).toMatch(/^msg_[A-Za-z0-9]+$/);
    expect(message.stop_reason).toBe("end_turn");
    const streamed = await anthropic.messages.stream({ model: "claude-haiku-5", max_tokens: 300, messages: [{ role: "user", content: "Hi" }] }).finalMessage();
    expect(streamed.id).toMatch(/^msg_[A-Za-z0-9]+$/);
  });

  test("Chat Completions answers translated from Messages carry chatcmpl- ids", async () => {
    anthropicUp.enqueue({ kind: "status", status: 200, body: loadText("anthropic/anthropic-text.json"), headers: { "content-type": "application/json" } });
    const answer = await openai.chat.completions.create({ model: "claude-sonnet-5", messages: [{ role: "user", content: "Hi" }] });
    expect(answer.id).toMatch(/^chatcmpl-[A-Za-z0-9]+$/);
  });
});

describe("usage Tollgate asked for itself is not relayed", () => {
  test("a Chat stream without include_usage has no usage chunk and no usage fields; with it, exactly one usage chunk", async () => {
    const read = async (extra: Record<string, unknown>) => {
      const res = await fetch(`${gw.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: "sim", stream: true, messages: [{ role: "user", content: "Hi" }], ...extra }),
      });
      const frames = (await res.text()).split("\n\n").filter((f) => f.startsWith("data: {"));
      return frames.map((f) => JSON.parse(f.slice(6)) as Record<string, unknown>);
    };
    const plain = await read({});
    expect(plain.length).toBeGreaterThan(2);
    for (const chunk of plain) expect(chunk).not.toHaveProperty("usage");
    const counted = await read({ stream_options: { include_usage: true } });
    expect(counted.filter((c) => c.usage != null)).toHaveLength(1);
  });
});
