import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// A large non-streamed answer is read for its usage alone and sent on as the reads delivered it,
// never joined into one buffer: over real sockets the body arrives in many reads, and the client
// of the same API must get it byte for byte, one of another API a translation of the whole.

const KEY = "tg-large-answer-client-key-01";
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { up: { type: "openai", baseURL: upstream.url } },
      models: { big: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 } } },
    },
    { env: { CLIENT_KEY: KEY } },
  );
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** About 1.5 MB of text with multi-byte characters and JSON's escapes throughout, so reads cut inside them. */
const CONTENT = 'Grüße aus 東京 🌍 — "quoted" {braces} [brackets] back\\slash\n'.repeat(24_000);
const BODY = JSON.stringify({
  id: "chatcmpl-large",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: CONTENT }, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 345_678, total_tokens: 345_690 },
});

const answerLarge = () => upstream.enqueue({ kind: "status", status: 200, body: BODY, headers: { "content-type": "application/json" } });
const ask = { model: "big", messages: [{ role: "user" as const, content: "write a lot" }], max_tokens: 4_096 };

describe("a large non-streamed answer", () => {
  test("goes to a client of the same API byte for byte, its length right; the usage reported is recorded", async () => {
    answerLarge();
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(ask) });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(BODY)));
    expect(bytes.equals(Buffer.from(BODY, "utf8"))).toBe(true);
    const record = await gw.recordOf(res.headers.get("x-request-id") ?? undefined);
    expect(record.outcome).toBe("complete");
    expect(record.usage).toMatchObject({ inputTokens: 12, outputTokens: 345_678, source: "reported" });
  });

  test("reaches the openai SDK whole, and a Messages client of the Anthropic SDK translated", async () => {
    answerLarge();
    const openai = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
    const completion = await openai.chat.completions.create(ask);
    expect(completion.choices[0]?.message.content).toBe(CONTENT);
    expect(completion.usage?.completion_tokens).toBe(345_678);

    answerLarge();
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
    const message = await anthropic.messages.create(ask);
    expect(message.content).toEqual([{ type: "text", text: CONTENT }]);
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 345_678 });
  });
});
