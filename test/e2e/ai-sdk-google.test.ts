import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { embedMany, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { readRecording, replay, UPSTREAM_KEY, UPSTREAMS, type UpstreamKind } from "../support/matrix.js";

// The Vercel AI SDK's Google provider (@ai-sdk/google) speaking Gemini's API to Tollgate over
// real sockets: a tool round trip (the SDK runs the tool and sends its result back), streamed
// and not, against Gemini itself (pass-through) and against Anthropic and OpenAI (translated),
// and embeddings.

const KEY = "tg-ai-google-client-key-0123456789";
const TOOL_RESULT = { sky: "fog", temperature: 18 };
const kind = (id: string) => UPSTREAMS.find((k) => k.id === id)!;
const KINDS = [kind("google"), kind("anthropic"), kind("openai")];
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: Object.fromEntries(KINDS.map((k) => [k.id, k.provider(upstream)])),
      models: {
        ...Object.fromEntries(KINDS.map((k) => [k.id, { retry: { maxRetries: 0 }, targets: [{ provider: k.id, model: k.model }] }])),
        embed: { targets: [{ provider: "google", model: "gemini-embedding-001" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: UPSTREAM_KEY } },
  );
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const google = () => createGoogleGenerativeAI({ baseURL: `${gw.url}/v1beta`, apiKey: KEY });

/** The tool result as the upstream received it on the second step, in its own API. */
function toolResultSent(k: UpstreamKind, body: Record<string, unknown>): unknown {
  if (k.wire === "gemini") {
    const turns = body.contents as Array<{ parts: Array<{ functionResponse?: { response: unknown } }> }>;
    return turns.at(-1)!.parts.find((p) => p.functionResponse)?.functionResponse?.response;
  }
  if (k.wire === "messages") {
    const turns = body.messages as Array<{ content: Array<{ type: string; content?: string }> }>;
    return JSON.parse(turns.at(-1)!.content.find((b) => b.type === "tool_result")!.content!);
  }
  return JSON.parse((body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "tool")!.content);
}

describe.each(KINDS.map((k) => [k.label, k] as const))("@ai-sdk/google → %s", (_label, k) => {
  test.each([false, true])("a tool round trip, streamed: %s", async (stream) => {
    const toolTurn = (stream ? k.recordings.tool.stream : k.recordings.tool.body)!;
    const textTurn = (stream ? k.recordings.text.stream : k.recordings.text.body)!;
    const name = readRecording(k.wire, toolTurn).toolCalls[0]!.name;
    upstream.enqueue(replay(k.wire, toolTurn), replay(k.wire, textTurn));
    const tools = { [name]: tool({ description: `The ${name} tool`, inputSchema: jsonSchema<Record<string, unknown>>({ type: "object", properties: {} }), execute: async () => TOOL_RESULT }) };
    const options = { model: google()(k.id), prompt: "Use the tool, then answer.", tools, stopWhen: stepCountIs(2) };
    let text: string;
    if (stream) {
      const result = streamText(options);
      text = "";
      for await (const delta of result.textStream) text += delta;
    } else text = (await generateText(options)).text;
    expect(text).toBe(readRecording(k.wire, textTurn).text);
    // Gemini gets the SDK's functionResponse as sent; the others the result itself, without the SDK's {name, content} wrapper.
    expect(toolResultSent(k, upstream.requests.at(-1)!.body as Record<string, unknown>)).toEqual(k.wire === "gemini" ? { name, content: TOOL_RESULT } : TOOL_RESULT);
  });
});

test("embedMany through batchEmbedContents", async () => {
  upstream.enqueue({ kind: "json", status: 200, body: { embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] } });
  const { embeddings } = await embedMany({ model: google().textEmbeddingModel("embed"), values: ["a", "b"] });
  expect(embeddings).toEqual([
    [0.1, 0.2],
    [0.3, 0.4],
  ]);
});
