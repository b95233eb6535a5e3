import { Mistral } from "@mistralai/mistralai";
import Groq from "groq-sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { readRecording, replay, UPSTREAM_KEY, UPSTREAMS, type UpstreamKind } from "../support/matrix.js";

// OpenAI-compatible SDKs that call other paths than /v1: groq-sdk (/openai/v1/*), the
// openai SDK behind a configured base path (server.basePath), and Mistral's SDK (/v1, its own
// strict stream parser), each streamed and not, over real sockets against recorded upstreams.

const KEY = "tg-paths-client-key-0123456789";
const kind = (id: string) => UPSTREAMS.find((k) => k.id === id)!;
const OPENAI = kind("openai");
const MISTRAL = kind("mistral");
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      server: { basePath: "/llm" },
      providers: { openai: OPENAI.provider(upstream), mistral: MISTRAL.provider(upstream) },
      models: {
        openai: { retry: { maxRetries: 0 }, targets: [{ provider: "openai", model: OPENAI.model }] },
        mistral: { retry: { maxRetries: 0 }, targets: [{ provider: "mistral", model: MISTRAL.model }] },
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

const expectedText = (k: UpstreamKind, stream: boolean) => readRecording(k.wire, (stream ? k.recordings.text.stream : k.recordings.text.body)!).text;
const play = (k: UpstreamKind, stream: boolean) => upstream.enqueue(replay(k.wire, (stream ? k.recordings.text.stream : k.recordings.text.body)!));
const messages = [{ role: "user" as const, content: "Say hello" }];

describe("groq-sdk on /openai/v1", () => {
  const groq = () => new Groq({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 });

  test("not streamed", async () => {
    play(OPENAI, false);
    const completion = await groq().chat.completions.create({ model: "openai", messages });
    expect(completion.choices[0]!.message.content).toBe(expectedText(OPENAI, false));
    expect(upstream.requests.at(-1)!.path).toBe("/v1/chat/completions");
  });

  test("streamed", async () => {
    play(OPENAI, true);
    let text = "";
    for await (const chunk of await groq().chat.completions.create({ model: "openai", messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(expectedText(OPENAI, true));
  });

  test("its models list", async () => {
    const list = await groq().models.list();
    expect(list.data.map((m) => m.id)).toEqual(["openai", "mistral"]);
  });
});

describe("the openai SDK under server.basePath", () => {
  test("/llm/v1 and /llm/openai/v1 serve the API; the paths without the prefix still do", async () => {
    for (const baseURL of [`${gw.url}/llm/v1`, `${gw.url}/llm/openai/v1`, `${gw.url}/v1`]) {
      play(OPENAI, false);
      const client = new OpenAI({ apiKey: KEY, baseURL, maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: "openai", messages });
      expect(completion.choices[0]!.message.content, baseURL).toBe(expectedText(OPENAI, false));
    }
    const outside = await fetch(`${gw.url}/llmx/v1/models`);
    expect(outside.status).toBe(404);
  });
});

describe("@mistralai/mistralai", () => {
  const mistral = () => new Mistral({ apiKey: KEY, serverURL: gw.url });

  test.each([
    ["a Mistral upstream", MISTRAL],
    ["an OpenAI upstream", OPENAI],
  ])("chat.complete from %s", async (_label, k) => {
    play(k, false);
    const result = await mistral().chat.complete({ model: k.id, messages });
    expect(result.choices?.[0]?.message?.content).toBe(expectedText(k, false));
  });

  // From an OpenAI upstream Tollgate asks for usage chunks for its own accounting; the relay
  // removes what this client did not ask for (`"usage": null` fails this SDK's parser).
  test.each([
    ["a Mistral upstream", MISTRAL],
    ["an OpenAI upstream", OPENAI],
  ])("chat.stream from %s", async (_label, k) => {
    play(k, true);
    let text = "";
    for await (const event of await mistral().chat.stream({ model: k.id, messages })) {
      const content = event.data.choices[0]?.delta.content;
      if (typeof content === "string") text += content;
    }
    expect(text).toBe(expectedText(k, true));
  });
});
