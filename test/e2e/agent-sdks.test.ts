import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatAnthropic } from "@langchain/anthropic";
import { Agent, OpenAIChatCompletionsModel, OpenAIResponsesModel, run, setTracingDisabled, tool as agentTool } from "@openai/agents";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { startGateway, type TestGateway } from "../support/gateway.js";

// Clients beyond the core SDKs, over real sockets, against the built-in simulator (which
// calls a tool when asked for it by name and answers from the result): the OpenAI Agents
// SDK with both of its model providers, @ai-sdk/openai-compatible, LangChain's ChatAnthropic,
// and the openai SDK's structured-output helpers with zod (draft-07 `$schema`).

// The Agents SDK exports traces to OpenAI unless told not to: nothing may leave 127.0.0.1.
setTracingDisabled(true);

const KEY = "tg-test-client-key-agent-sdks";
let gw: TestGateway;
let openai: OpenAI;

beforeAll(async () => {
  gw = await startGateway(
    { auth: { keys: ["env:CLIENT_KEY"] }, providers: { sim: { type: "simulator" } }, models: { sim: { aliases: ["*"], targets: [{ provider: "sim", model: "sim" }] } } },
    { env: { CLIENT_KEY: KEY } },
  );
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

/** The ledger's records since `from`, once the last of them is written. */
const recordsAfter = (from: number) => gw.records.slice(from);

describe("OpenAI Agents SDK: a function tool run by the agent loop", () => {
  const weather = agentTool({
    name: "get_weather",
    description: "Get the current weather for a city.",
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => `Sunny, 21C in ${city}`,
  });

  test.each([
    ["OpenAIResponsesModel", () => new OpenAIResponsesModel(openai as never, "sim")],
    ["OpenAIChatCompletionsModel", () => new OpenAIChatCompletionsModel(openai as never, "sim")],
  ] as const)("%s: the tool is called, its result reaches the final answer", async (_name, model) => {
    const from = gw.records.length;
    const agent = new Agent({ name: "Weather", instructions: "Answer briefly.", model: model(), tools: [weather] });
    const result = await run(agent, "What is the weather in Paris? Use get_weather.");
    expect(String(result.finalOutput)).toContain("According to the get_weather tool, the result is: Sunny, 21C in Paris");
    const records = recordsAfter(from);
    expect(records).toHaveLength(2);
    for (const r of records) expect(r).toMatchObject({ status: 200, outcome: "complete", route: "sim" });
  });
});

describe("@ai-sdk/openai-compatible", () => {
  test("generateText and streamText: text, finish and the ledger's usage", async () => {
    const compatible = createOpenAICompatible({ name: "tollgate", baseURL: gw.baseURL, apiKey: KEY, includeUsage: true });
    const from = gw.records.length;
    const answer = await generateText({ model: compatible("sim"), prompt: "Explain rate limits in nginx" });
    expect(answer.finishReason).toBe("stop");
    expect(answer.text.length).toBeGreaterThan(20);
    const streamed = streamText({ model: compatible("sim"), prompt: "Explain rate limits in nginx" });
    expect(await streamed.text).toBe(answer.text);
    expect(await streamed.finishReason).toBe("stop");
    const [plain, stream] = recordsAfter(from);
    expect(answer.usage).toMatchObject({ inputTokens: plain!.usage!.inputTokens, outputTokens: plain!.usage!.outputTokens });
    expect(await streamed.usage).toMatchObject({ inputTokens: stream!.usage!.inputTokens, outputTokens: stream!.usage!.outputTokens });
  });
});

describe("LangChain ChatAnthropic (Messages in, translated to the simulator)", () => {
  test("invoke and stream: text, stop reason and usage; bindTools: the tool call", async () => {
    const model = new ChatAnthropic({ model: "claude-sonnet-5", apiKey: KEY, anthropicApiUrl: gw.url, maxRetries: 0, maxTokens: 400 });
    const answer = await model.invoke("Explain rate limits in nginx");
    expect(String(answer.content).length).toBeGreaterThan(20);
    expect(answer.response_metadata).toMatchObject({ stop_reason: "end_turn" });
    expect(answer.id ?? answer.response_metadata.id).toMatch(/^msg_/);
    let streamed = "";
    for await (const chunk of await model.stream("Explain rate limits in nginx")) streamed += typeof chunk.content === "string" ? chunk.content : "";
    expect(streamed).toBe(String(answer.content));
    const withTools = model.bindTools([
      { name: "get_weather", description: "Get the current weather for a city.", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
    ]);
    const call = await withTools.invoke("What is the weather in Paris? Use get_weather.");
    expect(call.tool_calls).toMatchObject([{ name: "get_weather", args: { city: "Paris" } }]);
  });
});

describe("openai SDK structured-output helpers with zod", () => {
  const Trip = z.object({ city: z.string(), days: z.number().int(), highlights: z.array(z.string()) });

  test("chat.completions.parse: a parsed object following the schema", async () => {
    const format = zodResponseFormat(Trip, "trip");
    expect(JSON.stringify(format)).toContain("$schema");
    const completion = await openai.chat.completions.parse({ model: "sim", messages: [{ role: "user", content: "Plan a trip to Paris" }], response_format: format });
    expect(Trip.parse(completion.choices[0]!.message.parsed)).toMatchObject({ city: "Paris" });
  });

  test("responses.parse: a parsed object following the schema", async () => {
    const response = await openai.responses.parse({ model: "sim", input: "Plan a trip to Paris", text: { format: zodTextFormat(Trip, "trip") } });
    expect(Trip.parse(response.output_parsed)).toMatchObject({ city: "Paris" });
  });
});
