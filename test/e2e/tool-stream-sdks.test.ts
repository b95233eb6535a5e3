import Anthropic from "@anthropic-ai/sdk";
import { createAnthropic } from "@ai-sdk/anthropic";
import { GoogleGenAI } from "@google/genai";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool } from "../../src/tools/define-tool.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { answerFromToolResult, toolCallAnswer } from "../support/tool-answers.js";

// The tool steps as extension events in each client API's stream, read by the real SDKs:
// each must still assemble the final answer, and a client that wants the steps can read
// them (docs/tools.md, "Streaming").

let upstream: FakeUpstream;
let gw: TestGateway;

const status = defineTool({
  description: "Look up an order's status",
  schema: z.object({ order_id: z.string() }),
  run: ({ order_id }) => ({ order_id, status: "shipped" }),
});

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-stream-sdks-upstream-0123" } },
      models: { support: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 }, tools: ["status"] } },
    },
    { tools: { status } },
  );
});
afterEach(() => {
  expect(upstream.pending()).toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const ANSWER = "Order A-1001 is shipped.";
function playLoop(): void {
  upstream.enqueue(
    toolCallAnswer([{ name: "status", args: { order_id: "A-1001" } }]),
    answerFromToolResult((r) => `Order ${(JSON.parse(r) as { order_id: string }).order_id} is ${(JSON.parse(r) as { status: string }).status}.`),
  );
}
const STEP = { step: 1, calls: [expect.objectContaining({ id: "call_0_status", name: "status", status: "ok", arguments: '{"order_id":"A-1001"}' })] };

describe("tool steps in client streams", () => {
  it("Gemini: @google/genai assembles the answer past the step, a response without candidates that carries it (its types keep no unknown field: read raw)", async () => {
    playLoop();
    const ai = new GoogleGenAI({ apiKey: "unused", httpOptions: { baseUrl: gw.url } });
    let text = "";
    for await (const chunk of await ai.models.generateContentStream({ model: "support", contents: "Where is A-1001?" })) text += chunk.text ?? "";
    expect(text).toBe(ANSWER);

    playLoop();
    const res = await fetch(`${gw.url}/v1beta/models/support:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "Where is A-1001?" }] }] }),
    });
    const frames = (await res.text())
      .split("\n\n")
      .filter((f) => f.startsWith("data: "))
      .map((f) => JSON.parse(f.slice(6)) as { candidates: unknown[]; tollgate?: unknown });
    expect(frames.filter((f) => f.tollgate).map((f) => [f.candidates, f.tollgate])).toEqual([[[], { type: "tool_step", ...STEP }]]);
  });

  it("openai SDK, Chat Completions: the step is a chunk without choices, carrying a tollgate field", async () => {
    playLoop();
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
    const stream = client.chat.completions.stream({ model: "support", messages: [{ role: "user", content: "Where is A-1001?" }] });
    const steps: unknown[] = [];
    for await (const chunk of stream) {
      const extension = (chunk as unknown as { tollgate?: unknown }).tollgate;
      if (extension) steps.push(extension);
    }
    expect((await stream.finalChatCompletion()).choices[0]!.message.content).toBe(ANSWER);
    expect(steps).toEqual([{ type: "tool_step", ...STEP }]);
  });

  it("openai SDK, Responses API: responses.stream() assembles the answer; the step rides on a keepalive event after response.created", async () => {
    playLoop();
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
    const stream = client.responses.stream({ model: "support", input: "Where is A-1001?" });
    const types: string[] = [];
    const steps: unknown[] = [];
    for await (const event of stream) {
      types.push(event.type);
      const extension = (event as unknown as { tollgate?: unknown }).tollgate;
      if (extension) steps.push(extension);
    }
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(ANSWER);
    expect(types[0]).toBe("response.created");
    expect(types.indexOf("keepalive")).toBeLessThan(types.indexOf("response.output_text.delta"));
    expect(steps).toEqual([{ type: "tool_step", ...STEP }]);
  });

  it("@anthropic-ai/sdk: messages.stream() assembles the answer; raw iteration yields the tollgate.tool_step event", async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: "unused", maxRetries: 0 });
    playLoop();
    const message = await client.messages.stream({ model: "support", max_tokens: 200, messages: [{ role: "user", content: "Where is A-1001?" }] }).finalMessage();
    expect(message.content).toEqual([{ type: "text", text: ANSWER, citations: null }].map(({ citations: _c, ...b }) => expect.objectContaining(b)));
    expect(message.stop_reason).toBe("end_turn");

    playLoop();
    const raw = await client.messages.create({ model: "support", max_tokens: 200, stream: true, messages: [{ role: "user", content: "Where is A-1001?" }] });
    const steps: unknown[] = [];
    let text = "";
    for await (const event of raw) {
      const extension = (event as unknown as { tollgate?: unknown }).tollgate;
      if (extension) steps.push(extension);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    expect(text).toBe(ANSWER);
    expect(steps).toEqual([{ type: "tool_step", ...STEP }]);
  });

  it("ai + @ai-sdk/openai (Chat Completions): streamText gets the text; the step is in the raw chunks", async () => {
    playLoop();
    const model = createOpenAI({ baseURL: gw.baseURL, apiKey: "unused" }).chat("support");
    const result = streamText({ model, prompt: "Where is A-1001?", maxRetries: 0, includeRawChunks: true });
    const steps: unknown[] = [];
    for await (const part of result.fullStream) {
      if (part.type === "raw") {
        const extension = (part.rawValue as { tollgate?: unknown }).tollgate;
        if (extension) steps.push(extension);
      }
    }
    expect(await result.text).toBe(ANSWER);
    expect(await result.finishReason).toBe("stop");
    expect(steps).toEqual([{ type: "tool_step", ...STEP }]);
  });

  it("ai + @ai-sdk/openai (Responses API): streamText gets the text; the step is in the raw chunks", async () => {
    playLoop();
    const model = createOpenAI({ baseURL: gw.baseURL, apiKey: "unused" }).responses("support");
    const result = streamText({ model, prompt: "Where is A-1001?", maxRetries: 0, includeRawChunks: true, providerOptions: { openai: { store: false } } });
    const steps: unknown[] = [];
    for await (const part of result.fullStream) {
      const extension = part.type === "raw" ? (part.rawValue as { tollgate?: unknown }).tollgate : undefined;
      if (extension) steps.push(extension);
    }
    expect(await result.text).toBe(ANSWER);
    expect(steps).toEqual([{ type: "tool_step", ...STEP }]);
  });

  it("ai + @ai-sdk/anthropic: streamText gets the text past the extension ping", async () => {
    playLoop();
    const model = createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: "unused" })("support");
    const result = streamText({ model, prompt: "Where is A-1001?", maxRetries: 0 });
    expect(await result.text).toBe(ANSWER);
    expect(await result.finishReason).toBe("stop");
  });
});
