import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { passthroughChatEncoder } from "../../src/apis/openai-chat/encode-stream.js";
import { parseChatRequest } from "../../src/apis/openai-chat/parse-request.js";
import { parseChatChunk } from "../../src/providers/openai/chat-stream.js";
import { countTextTokens } from "../../src/usage/tokenizer.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// A same-format stream goes out as the upstream's own bytes (only the frames that may carry usage,
// an error or the end are parsed): as they came to a client that asked for usage, each frame
// rewritten for one that did not. Over real sockets, with the openai SDK: the bytes, the usage, a
// cut and an error frame, and when the bytes are not relayed.

const KEY = "tg-verbatim-client-key-0123";
let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { up: { type: "openai", baseURL: upstream.url } },
      models: { fast: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 } } },
    },
    { env: { CLIENT_KEY: KEY } },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** One chunk as OpenAI streams it once usage is asked for ("usage": null in each). */
const chunk = (choices: unknown[], usage: unknown = null) => ({ id: "chatcmpl-v1", object: "chat.completion.chunk", created: 1, model: "m", choices, usage });
const delta = (content: string) => chunk([{ index: 0, delta: { content }, finish_reason: null }]);
const WORDS = ["Grüße", " aus", " 東京", " 🌍", " und", " mehr"];
const payloads = [
  chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
  ...WORDS.map(delta),
  chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
  chunk([], { prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 }),
].map((p) => JSON.stringify(p));

function wire(eol = "\n"): Buffer {
  return Buffer.from(`${payloads.map((p) => `data: ${p}${eol}${eol}`).join("")}data: [DONE]${eol}${eol}`, "utf8");
}

/** The bytes cut the way a network might: inside a frame, and inside the 東 and the 🌍. */
function cutUp(bytes: Buffer): Buffer[] {
  const cuts = [bytes.indexOf(Buffer.from("東")) + 1, bytes.indexOf(Buffer.from("🌍")) + 3, bytes.indexOf(Buffer.from(" und")) + 2];
  return [0, ...cuts].map((start, i) => bytes.subarray(start, cuts[i] ?? bytes.length));
}

const ask = (extra: Record<string, unknown> = {}) => ({ model: "fast", messages: [{ role: "user", content: "greet" }], stream: true, ...extra });
const withUsage = { stream_options: { include_usage: true } };
const auth = { authorization: `Bearer ${KEY}` };

describe("a same-format stream with usage asked for: the upstream's bytes", () => {
  test("the client gets every byte as the upstream sent it, however the reads cut them; the usage is recorded", async () => {
    const bytes = wire();
    upstream.enqueue({ kind: "sse", chunks: cutUp(bytes) });
    const res = await postSse(`${gw.baseURL}/chat/completions`, ask(withUsage), auth);
    expect(res.status).toBe(200);
    expect(res.text).toBe(bytes.toString("utf8"));
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record.outcome).toBe("complete");
    expect(record.usage).toMatchObject({ inputTokens: 7, outputTokens: 6, source: "reported" });
  });

  test("a short answer in one write (its content after the first goes out unparsed): every byte, the usage recorded", async () => {
    const bytes = wire();
    upstream.enqueue({ kind: "sse", chunks: [bytes] });
    const res = await postSse(`${gw.baseURL}/chat/completions`, ask(withUsage), auth);
    expect(res.text).toBe(bytes.toString("utf8"));
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record.outcome).toBe("complete");
    expect(record.usage).toMatchObject({ inputTokens: 7, outputTokens: 6, source: "reported" });
  });

  test("the openai SDK reads it: the text, the usage", async () => {
    upstream.enqueue({ kind: "sse", chunks: cutUp(wire()) });
    const stream = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "greet" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const part of stream) {
      text += part.choices[0]?.delta?.content ?? "";
      if (part.usage) usage = part.usage;
    }
    expect(text).toBe(WORDS.join(""));
    expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 6 });
  });

  test("cut after some content: the failure comes inside the stream, and the output is counted from what was relayed", async () => {
    const sent = wire().subarray(0, wire().indexOf(Buffer.from(" und")) - "data: ".length - 30);
    const relayed = sent.subarray(0, sent.lastIndexOf("\n\n") + 2);
    upstream.enqueue({ kind: "cut", chunks: [sent] });
    const res = await postSse(`${gw.baseURL}/chat/completions`, ask(withUsage), auth);
    expect(res.text.startsWith(relayed.toString("utf8"))).toBe(true);
    expect(res.payloads).not.toContain("[DONE]");
    expect(JSON.parse(res.payloads.at(-1)!)).toMatchObject({ error: { code: "upstream_connection_error" } });
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record.outcome).toBe("failed");
    expect(record.usage).toMatchObject({ source: "estimated", outputTokens: countTextTokens(WORDS.slice(0, 4).join("")) });
  });

  test("an error frame mid-stream: the SDK raises it, the frames before it arrived, the record says failed", async () => {
    const head = payloads.slice(0, 3).map((p) => `data: ${p}\n\n`);
    upstream.enqueue({ kind: "sse", chunks: [Buffer.from(head.join("")), Buffer.from('data: {"error":{"message":"the model is overloaded","type":"server_error"}}\n\n')] });
    const stream = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "greet" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    const read = async () => {
      for await (const part of stream) text += part.choices[0]?.delta?.content ?? "";
    };
    await expect(read()).rejects.toThrow(/overloaded/);
    expect(text).toBe(WORDS.slice(0, 2).join(""));
    const record = gw.records.at(-1)!;
    expect(record.outcome).toBe("failed");
  });

  // The upstream ends its lines in \r\n: its own bytes keep them (a kept answer's encoder writes \n, below).
  test("usage asked for: the upstream's bytes, \\r\\n and all; [DONE] is the gateway's own", async () => {
    const bytes = wire("\r\n");
    upstream.enqueue({ kind: "sse", chunks: cutUp(bytes) });
    const res = await postSse(`${gw.baseURL}/chat/completions`, ask(withUsage), auth);
    expect(res.text).toBe(`${bytes.subarray(0, bytes.lastIndexOf("data: [DONE]")).toString("utf8")}data: [DONE]\n\n`);
  });
});

describe("a same-format stream with usage not asked for: the upstream's bytes, each frame rewritten", () => {
  // What the frames went out as before the byte relay served this client: each chunk parsed and
  // written again by the encoder (no usage chunk, no null usage, \n framed).
  const encoder = passthroughChatEncoder(parseChatRequest(ask()));
  const encoded = `${payloads.map((p, i) => encoder.chunk(parseChatChunk(p, i === 0))).join("")}data: [DONE]\n\n`;

  test("byte for byte what the encoder writes, \\n or \\r\\n upstream, however the reads cut it; the usage recorded", async () => {
    for (const chunks of [cutUp(wire()), cutUp(wire("\r\n")), [wire()]]) {
      upstream.enqueue({ kind: "sse", chunks });
      const res = await postSse(`${gw.baseURL}/chat/completions`, ask(), auth);
      expect(res.text).toBe(encoded);
      expect(res.text).not.toContain('"usage"');
      const record = await gw.recordOf(res.headers["x-request-id"]);
      expect(record.outcome).toBe("complete");
      expect(record.usage).toMatchObject({ inputTokens: 7, outputTokens: 6, source: "reported" });
    }
  });

  test("the openai SDK reads it: the text, and no usage", async () => {
    upstream.enqueue({ kind: "sse", chunks: cutUp(wire()) });
    const stream = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "greet" }], stream: true });
    let text = "";
    const usages: unknown[] = [];
    for await (const part of stream) {
      text += part.choices[0]?.delta?.content ?? "";
      if ("usage" in part) usages.push(part.usage);
    }
    expect(text).toBe(WORDS.join(""));
    expect(usages).toEqual([]);
  });

  test("an error frame mid-stream: the SDK raises it, after the frames before it", async () => {
    const head = payloads.slice(0, 3).map((p) => `data: ${p}\n\n`);
    upstream.enqueue({ kind: "sse", chunks: [Buffer.from(head.join("")), Buffer.from('data: {"error":{"message":"the model is overloaded","type":"server_error"}}\n\n')] });
    const stream = await client.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "greet" }], stream: true });
    let text = "";
    const read = async () => {
      for await (const part of stream) text += part.choices[0]?.delta?.content ?? "";
    };
    await expect(read()).rejects.toThrow(/overloaded/);
    expect(text).toBe(WORDS.slice(0, 2).join(""));
    expect(gw.records.at(-1)!.outcome).toBe("failed");
  });
});

describe("when the frames must be kept, they go through the encoder", () => {
  // The encoder writes \n where the upstream wrote \r\n.
  test("an idempotency key (the answer is kept for replay): frames through the encoder, and the replay matches", async () => {
    upstream.enqueue({ kind: "sse", chunks: cutUp(wire("\r\n")) });
    const headers = { ...auth, "idempotency-key": "verbatim-1" };
    const first = await postSse(`${gw.baseURL}/chat/completions`, ask(withUsage), headers);
    expect(first.text).not.toContain("\r");
    expect(first.payloads).toEqual([...payloads, "[DONE]"]);
    await gw.recordOf(first.headers["x-request-id"]);
    const again = await postSse(`${gw.baseURL}/chat/completions`, ask(withUsage), headers);
    expect(again.text).toBe(first.text);
  });
});
