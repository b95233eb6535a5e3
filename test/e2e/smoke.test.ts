import OpenAI from "openai";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, loadChunks } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

let upstream: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway({ providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-test-upstream-key-123" } }, models: { fast: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

test("smoke: stream through the gateway", async () => {
  upstream.enqueue({ kind: "sse", chunks: [chatSseBytes(loadChunks("openai-chat/openai-text.chunks.txt"))] });
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "none", maxRetries: 0 });
  const { data: stream, response } = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  expect(text.length).toBeGreaterThan(100);
  const record = await gw.recordOf(response.headers.get("x-request-id") ?? undefined);
  expect(record.usage).toMatchObject({ inputTokens: 16, outputTokens: 300, source: "reported" });
  expect(upstream.requests[0]!.body).toMatchObject({ model: "gpt-4.1-nano", stream_options: { include_usage: true } });
});
