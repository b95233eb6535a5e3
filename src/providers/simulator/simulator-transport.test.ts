import { describe, expect, it } from "vitest";
import { countMessageTokens, countTextTokens } from "../../usage/tokenizer.js";
import type { Message } from "../../spec/canonical-request.js";
import { createSimulatorProvider, createSimulatorTransport, virtualClock } from "./index.js";
import { adapter, bodyIterator, chatSpec, parseStream, readBody, sendOptions, simConfig } from "./test-support/sim-client.js";

const QUESTION = "How do I configure rate limits in nginx for a small API?";
const messages = [
  { role: "system", content: "You are terse." },
  { role: "user", content: QUESTION },
];
const canonicalMessages: Message[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: QUESTION },
];

async function stream(body: Record<string, unknown>, config = simConfig()) {
  const res = await createSimulatorTransport(config).send(chatSpec({ model: "sim", stream: true, ...body }), sendOptions());
  expect(res.status).toBe(200);
  const read = await readBody(res);
  expect(read.error).toBeUndefined();
  return { res, read, parsed: parseStream(read.messages) };
}

describe("simulator transport: streamed text", () => {
  it("streams an OpenAI chat stream that the adapter parses, with exact usage", async () => {
    const { res, read, parsed } = await stream({ messages });
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(read.text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(parsed.done).toBe(true);

    const first = parsed.chunks[0]!;
    expect(first.object).toBe("chat.completion.chunk");
    expect(first.model).toBe("sim");
    expect((first.choices as { delta: unknown }[])[0]!.delta).toMatchObject({ role: "assistant", content: "" });
    expect(parsed.events[0]).toMatchObject({ type: "response-start", model: "sim" });

    const text = parsed.text.get(0)!;
    const pieces = parsed.pieces.get(0)!;
    for (const piece of pieces) expect(countTextTokens(piece)).toBe(1);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    expect(text).toMatch(/rate limits|nginx|API/);
    expect(parsed.finish.get(0)).toBe("stop");

    const last = parsed.chunks[parsed.chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    const usage = parsed.events.find((e) => e.type === "usage");
    expect(usage).toMatchObject({ usage: { inputTokens: countMessageTokens(canonicalMessages), outputTokens: pieces.length } });
    expect(countTextTokens(text)).toBe(pieces.length);
    expect(pieces.length).toBeGreaterThanOrEqual(39);
    expect(pieces.length).toBeLessThanOrEqual(40);
  });

  it("answers the same prompt with the same text, and another prompt differently", async () => {
    const a = await stream({ messages });
    const b = await stream({ messages });
    const c = await stream({ messages: [{ role: "user", content: "What is a B-tree index in Postgres?" }] });
    expect(b.parsed.text.get(0)).toBe(a.parsed.text.get(0));
    expect(c.parsed.text.get(0)).not.toBe(a.parsed.text.get(0));
  });

  it("stops at max tokens with finish_reason length; max_completion_tokens wins", async () => {
    const config = simConfig({ answerTokens: 400 });
    const cut = await stream({ messages, max_tokens: 7 }, config);
    expect(cut.parsed.pieces.get(0)).toHaveLength(7);
    expect(cut.parsed.finish.get(0)).toBe("length");
    const both = await stream({ messages, max_tokens: 7, max_completion_tokens: 300, stream_options: { include_usage: true } }, config);
    expect(both.parsed.pieces.get(0)).toHaveLength(300);
    expect(countTextTokens(both.parsed.text.get(0)!)).toBe(300);
    expect(both.parsed.events.find((e) => e.type === "usage")).toMatchObject({ usage: { outputTokens: 300 } });
  });

  it("answers at a natural length below a generous max_tokens, finishing with stop", async () => {
    const config = simConfig({ answerTokens: undefined });
    const lengths = new Set<number>();
    for (const question of [QUESTION, "What is a B-tree index in Postgres?", "Compare Kafka and RabbitMQ for event sourcing", "How do vaccines train the immune system?"]) {
      const { parsed } = await stream({ messages: [{ role: "user", content: question }], max_tokens: 32_000 }, config);
      const pieces = parsed.pieces.get(0)!;
      expect(parsed.finish.get(0)).toBe("stop");
      expect(pieces.length).toBeGreaterThanOrEqual(12);
      expect(pieces.length).toBeLessThanOrEqual(800);
      expect(parsed.text.get(0)).toMatch(/[.!?]$/);
      lengths.add(pieces.length);
    }
    expect(lengths.size).toBeGreaterThan(1);
    const again = await stream({ messages: [{ role: "user", content: QUESTION }], max_tokens: 32_000 }, config);
    const first = await stream({ messages: [{ role: "user", content: QUESTION }] }, config);
    expect(again.parsed.text.get(0)).toBe(first.parsed.text.get(0));
  });

  it("ends before the first stop sequence, finishing with stop", async () => {
    const full = await stream({ messages }, simConfig({ answerTokens: 200 }));
    const text = full.parsed.text.get(0)!;
    const { parsed } = await stream({ messages, stop: [". ", "zzz"] }, simConfig({ answerTokens: 200 }));
    expect(parsed.text.get(0)).toBe(text.slice(0, text.indexOf(". ")));
    expect(parsed.finish.get(0)).toBe("stop");
    const bad = await createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim", messages, stop: [1] }), sendOptions());
    expect(bad.status).toBe(400);
  });

  it("sends no usage chunk unless the request asks for one", async () => {
    const transport = createSimulatorTransport(simConfig());
    const res = await transport.send({ url: "x", headers: {}, body: JSON.stringify({ model: "sim", messages, stream: true }) }, sendOptions());
    const parsed = parseStream((await readBody(res)).messages);
    expect(parsed.done).toBe(true);
    expect(parsed.events.some((e) => e.type === "usage")).toBe(false);
    expect(parsed.chunks.every((c) => !("usage" in c))).toBe(true);
  });

  it("produces n choices, each a whole answer, and counts them all in usage", async () => {
    const { parsed } = await stream({ messages, n: 3, max_tokens: 12 });
    for (const choice of [0, 1, 2]) {
      expect(parsed.pieces.get(choice)).toHaveLength(12);
      expect(parsed.finish.get(choice)).toBe("length");
    }
    expect(new Set([0, 1, 2].map((c) => parsed.text.get(c))).size).toBeGreaterThan(1);
    expect(parsed.events.find((e) => e.type === "usage")).toMatchObject({ usage: { outputTokens: 36 } });
  });

  it("batches frames into few buffers when nothing is worth waiting for", async () => {
    const { read } = await stream({ messages, max_tokens: 500 }, simConfig({ answerTokens: 600 }));
    expect(read.messages.length).toBeGreaterThan(500);
    expect(read.buffers).toBeLessThan(read.messages.length / 10);
  });

  it("paces tokens: first after ttftMs, then at tokensPerSecond (virtual clock)", async () => {
    const clock = virtualClock();
    const transport = createSimulatorTransport(simConfig({ ttftMs: 150, tokensPerSecond: 50 }), clock);
    const res = await transport.send(chatSpec({ model: "sim", stream: true, messages, max_tokens: 11 }), sendOptions());
    expect(clock.elapsed()).toBe(0);
    const read = await readBody(res);
    expect(read.error).toBeUndefined();
    // 11 tokens: the first at 150 ms, ten more 20 ms apart.
    expect(clock.elapsed()).toBeCloseTo(150 + 10 * 20, 6);
    expect(read.buffers).toBe(11);
  });
});

describe("simulator transport: abort and destroy", () => {
  it("stops the body promptly when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const transport = createSimulatorTransport(simConfig({ ttftMs: 10, tokensPerSecond: 1 }));
    const res = await transport.send(chatSpec({ model: "sim", stream: true, messages }), sendOptions(controller.signal));
    const iterator = bodyIterator(res.body);
    const first = await iterator.next();
    expect(first.done).toBe(false);
    const pending = iterator.next();
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("throws the abort reason when the signal aborted before reading", async () => {
    const controller = new AbortController();
    const res = await createSimulatorTransport(simConfig({ ttftMs: 60_000 })).send(chatSpec({ model: "sim", stream: true, messages }), sendOptions(controller.signal));
    controller.abort();
    await expect(bodyIterator(res.body).next()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("rejects send at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("gone");
    controller.abort(reason);
    await expect(createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim", messages }), sendOptions(controller.signal))).rejects.toBe(reason);
  });

  it("ends generation when the response is destroyed", async () => {
    const res = await createSimulatorTransport(simConfig({ ttftMs: 60_000 })).send(chatSpec({ model: "sim", stream: true, messages }), sendOptions());
    const pending = bodyIterator(res.body).next();
    res.destroy();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });
});

describe("simulator transport: tools", () => {
  const weatherTool = {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather",
      parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" }, metric: { type: "boolean" } }, required: ["city", "days", "metric"] },
    },
  };
  const searchTool = { type: "function", function: { name: "search", parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } } };
  const ask = [{ role: "user", content: "What is the weather in Paris tomorrow?" }];

  it("streams one call to the tool the user asks for as OpenAI tool_call deltas", async () => {
    const { parsed } = await stream({ messages: ask, tools: [weatherTool, searchTool] });
    const deltas = parsed.events.filter((e) => e.type === "tool-call-delta");
    expect(deltas[0]).toMatchObject({ choice: 0, index: 0, name: "get_weather", argumentsDelta: "" });
    expect((deltas[0] as { id: string }).id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    const firstDelta = (parsed.chunks[0]!.choices as { delta: Record<string, unknown> }[])[0]!.delta;
    expect(firstDelta).toMatchObject({ role: "assistant", tool_calls: [{ index: 0, type: "function", function: { name: "get_weather", arguments: "" } }] });
    const args = deltas.map((d) => (d as { argumentsDelta: string }).argumentsDelta).join("");
    expect(JSON.parse(args)).toEqual({ city: "Paris", days: 1, metric: true });
    expect(deltas.length - 1).toBe(countTextTokens(args));
    expect(parsed.finish.get(0)).toBe("tool_calls");
    expect(parsed.text.size).toBe(0);
    expect(parsed.events.find((e) => e.type === "usage")).toMatchObject({ usage: { outputTokens: countTextTokens(args) + countTextTokens("get_weather") } });
  });

  it("calls no tool when the user asks for nothing a tool offers, unless tool_choice requires one", async () => {
    const chat = [{ role: "user", content: "Say hello to the team" }];
    const free = await stream({ messages: chat, tools: [weatherTool, searchTool] });
    expect(free.parsed.events.some((e) => e.type === "tool-call-delta")).toBe(false);
    expect(free.parsed.finish.get(0)).toBe("stop");
    const required = await stream({ messages: chat, tools: [weatherTool, searchTool], tool_choice: "required" });
    expect(required.parsed.events.find((e) => e.type === "tool-call-delta")).toMatchObject({ name: "get_weather" });
    expect(required.parsed.finish.get(0)).toBe("tool_calls");
  });

  it("calls the tool tool_choice names, and none when tool_choice is none", async () => {
    const named = await stream({ messages: ask, tools: [weatherTool, searchTool], tool_choice: { type: "function", function: { name: "search" } } });
    expect(named.parsed.events.find((e) => e.type === "tool-call-delta")).toMatchObject({ name: "search" });
    const none = await stream({ messages: ask, tools: [weatherTool], tool_choice: "none" });
    expect(none.parsed.events.some((e) => e.type === "tool-call-delta")).toBe(false);
    expect(none.parsed.finish.get(0)).toBe("stop");
  });

  it("rejects a tool_choice that names no offered tool with 400", async () => {
    const res = await createSimulatorTransport(simConfig()).send(
      chatSpec({ model: "sim", messages: ask, tools: [weatherTool], tool_choice: { type: "function", function: { name: "nope" } } }),
      sendOptions(),
    );
    expect(res.status).toBe(400);
    expect(adapter.parseError(400, (await readBody(res)).text)).toMatchObject({ type: "invalid_request_error", param: "tool_choice" });
  });

  it("answers a tool result with text that mentions it", async () => {
    const conversation = [
      ...ask,
      { role: "assistant", content: null, tool_calls: [{ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_abc", content: '{"temp_c": 19, "sky": "overcast"}' },
    ];
    const { parsed } = await stream({ messages: conversation, tools: [weatherTool], max_tokens: 60 });
    expect(parsed.events.some((e) => e.type === "tool-call-delta")).toBe(false);
    expect(parsed.text.get(0)).toContain('According to the get_weather tool, the result is: {"temp_c": 19, "sky": "overcast"}.');
  });
});

describe("simulator transport: non-streamed", () => {
  it("returns a chat.completion JSON body the adapter parses", async () => {
    const res = await createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim", messages, n: 2 }), sendOptions());
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    const json = JSON.parse((await readBody(res)).text) as { object: string; system_fingerprint: string };
    expect(json.object).toBe("chat.completion");
    expect(json.system_fingerprint).toBe("fp_tollgate_simulator");
    const response = adapter.parseResponse(json);
    expect(response.choices).toHaveLength(2);
    const texts = response.choices.map((c) => c.text!);
    for (const c of response.choices) expect(c.finishReason).toBe("stop");
    expect(response.usage).toMatchObject({ inputTokens: countMessageTokens(canonicalMessages), outputTokens: countTextTokens(texts[0]!) + countTextTokens(texts[1]!) });
  });

  it("returns the same text streamed or not", async () => {
    const streamed = await stream({ messages, max_tokens: 25 });
    const res = await createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim", messages, max_tokens: 25 }), sendOptions());
    const response = adapter.parseResponse(JSON.parse((await readBody(res)).text));
    expect(response.choices[0]!.text).toBe(streamed.parsed.text.get(0));
    expect(response.choices[0]!.finishReason).toBe("length");
  });

  it("returns tool calls in the message", async () => {
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { term: { type: "string" } }, required: ["term"] } } }];
    const res = await createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim", messages: [{ role: "user", content: "Define idempotency with lookup" }], tools }), sendOptions());
    const response = adapter.parseResponse(JSON.parse((await readBody(res)).text));
    expect(response.choices[0]).toMatchObject({ text: null, finishReason: "tool_calls", toolCalls: [{ name: "lookup", arguments: '{"term":"idempotency"}' }] });
  });

  it("answers response_format with JSON: following the json_schema, or an object for json_object", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer" }, tags: { type: "array", items: { type: "string" } } },
      required: ["city", "days", "tags"],
      additionalProperties: false,
    };
    const ask = [{ role: "user", content: "Plan a trip to Paris" }];
    const res = await createSimulatorTransport(simConfig()).send(
      chatSpec({ model: "sim", messages: ask, response_format: { type: "json_schema", json_schema: { name: "trip", schema, strict: true } } }),
      sendOptions(),
    );
    const response = adapter.parseResponse(JSON.parse((await readBody(res)).text));
    expect(JSON.parse(response.choices[0]!.text!)).toEqual({ city: "Paris", days: 1, tags: [expect.any(String)] });
    expect(response.choices[0]!.finishReason).toBe("stop");
    const plain = await stream({ messages: ask, response_format: { type: "json_object" } });
    expect(JSON.parse(plain.parsed.text.get(0)!)).toEqual({ answer: expect.any(String) });
  });

  it("waits for the whole answer before sending headers (virtual clock)", async () => {
    const clock = virtualClock();
    const res = await createSimulatorTransport(simConfig({ ttftMs: 100, tokensPerSecond: 10 }), clock).send(chatSpec({ model: "sim", messages, max_tokens: 5 }), sendOptions());
    expect(res.status).toBe(200);
    expect(clock.elapsed()).toBeCloseTo(100 + 4 * 100, 6);
  });
});

describe("simulator transport: odd bodies", () => {
  it("answers a body that is not JSON with an OpenAI-shaped 400", async () => {
    const transport = createSimulatorTransport(simConfig());
    for (const body of ["", "not json", "[]", '{"messages": "hi"}']) {
      const res = await transport.send({ url: "x", headers: {}, body }, sendOptions());
      expect(res.status).toBe(400);
      const error = adapter.parseError(400, (await readBody(res)).text);
      expect(error.type).toBe("invalid_request_error");
      expect(error.message.length).toBeGreaterThan(0);
    }
  });
});

describe("createSimulatorProvider", () => {
  it("pairs the simulator with the OpenAI chat adapter", async () => {
    const provider = createSimulatorProvider(simConfig({ name: "local" }));
    expect(provider).toMatchObject({ name: "local", type: "simulator" });
    const spec = provider.adapter.buildRequest({ model: "r", messages: [], stream: false, includeUsage: false, inbound: { api: "openai-chat", body: { model: "x", messages } } }, "sim");
    const res = await provider.transport.send(spec, sendOptions());
    expect(provider.adapter.parseResponse(JSON.parse((await readBody(res)).text)).model).toBe("sim");
  });
});
