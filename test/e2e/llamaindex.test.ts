import { OpenAI as LlamaOpenAI } from "@llamaindex/openai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { waitFor } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// LlamaIndex's OpenAI LLM (@llamaindex/openai, as `llamaindex` uses it) pointed at Tollgate
// over a real socket, against the built-in simulator (deterministic per prompt): its chat
// and streamed chat give exactly what the openai SDK gets for the same prompt, and each
// call is one ledger record.

const KEY = "tg-test-client-key-llamaindex";
let gw: TestGateway;
let llm: LlamaOpenAI;
let expected: string;

const messages = [{ role: "user" as const, content: "Tell me about toll roads in two sentences." }];

beforeAll(async () => {
  gw = await startGateway(
    { auth: { keys: ["env:CLIENT_KEY"] }, providers: { sim: { type: "simulator" } }, models: { "gpt-4o-mini": { targets: [{ provider: "sim", model: "sim" }] } } },
    { env: { CLIENT_KEY: KEY } },
  );
  llm = new LlamaOpenAI({ model: "gpt-4o-mini", apiKey: KEY, baseURL: gw.baseURL, maxRetries: 0 });
  const reference = await new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 }).chat.completions.create({ model: "gpt-4o-mini", messages });
  expected = reference.choices[0]!.message.content!;
  expect(expected.length).toBeGreaterThan(0);
});
afterAll(async () => {
  await gw?.close();
});

describe("llamaindex (@llamaindex/openai)", () => {
  test("chat: the answer and its ledger record", async () => {
    const from = gw.records.length;
    const response = await llm.chat({ messages });
    expect(response.message.content).toBe(expected);
    await waitFor(() => gw.records.length > from, { message: "the chat's record" });
    expect(gw.records.slice(from)).toMatchObject([{ api: "openai-chat", route: "gpt-4o-mini", stream: false, outcome: "complete", status: 200 }]);
  });

  test("streamed chat: the deltas join into the same answer", async () => {
    const from = gw.records.length;
    let text = "";
    for await (const chunk of await llm.chat({ messages, stream: true })) text += chunk.delta;
    expect(text).toBe(expected);
    await waitFor(() => gw.records.length > from, { message: "the stream's record" });
    expect(gw.records.slice(from)).toMatchObject([{ api: "openai-chat", route: "gpt-4o-mini", stream: true, outcome: "complete", status: 200 }]);
  });
});
