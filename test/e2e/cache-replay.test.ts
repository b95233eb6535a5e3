import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import {
  expectSameContent,
  finishIn,
  INBOUND,
  read,
  readRecording,
  replay,
  UPSTREAM_KEY,
  UPSTREAMS,
  usageIn,
  type InboundApi,
  type Reading,
  type Recording,
  type UpstreamKind,
  type WireFormat,
} from "../support/matrix.js";
import { postSse, type RawSseResult } from "../support/sse-client.js";

// Stream replay fidelity: every streamed recording of every upstream kind is answered
// once live through a gateway whose routes cache exactly, then replayed from the cache
// to a client of each API, streamed and not. Same API as the upstream: the very frames
// (bytes) of the live answer. Another API: the same text, reasoning, tool calls, finish
// and usage as the live translation gives. Non-streamed recordings are replayed as
// streams too. The upstream is called once per recording.

const KEY = "tg-cache-replay-client-key-0123456789";
const APIS: InboundApi[] = ["chat", "responses", "messages"];
const SCHEMA = { type: "object", properties: {} };
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      cache: { store: "memory" },
      providers: Object.fromEntries(UPSTREAMS.map((k) => [k.id, k.provider(upstream)])),
      models: Object.fromEntries(UPSTREAMS.map((k) => [k.id, { retry: { maxRetries: 0 }, cache: { exact: { ttlSeconds: 3600 } }, targets: [{ provider: k.id, model: k.model }] }])),
    },
    // A clock that stands still: every replay is 0 s old however slow the machine.
    { env: { CLIENT_KEY: KEY, UP_KEY: UPSTREAM_KEY }, clock: () => Date.UTC(2030, 0, 1) },
  );
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** One question in the client's API with the same canonical meaning in all three (so all share one cache key). */
function clientBody(api: InboundApi, model: string, prompt: string, stream: boolean, tools: string[]): Record<string, unknown> {
  const streamed = stream ? { stream: true } : {};
  switch (api) {
    case "chat":
      return {
        model,
        max_completion_tokens: 1024,
        messages: [{ role: "user", content: prompt }],
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        ...(tools.length ? { tools: tools.map((name) => ({ type: "function", function: { name, parameters: SCHEMA } })) } : {}),
      };
    case "responses":
      return { model, max_output_tokens: 1024, input: prompt, ...streamed, ...(tools.length ? { tools: tools.map((name) => ({ type: "function", name, parameters: SCHEMA })) } : {}) };
    case "messages":
      return { model, max_tokens: 1024, messages: [{ role: "user", content: prompt }], ...streamed, ...(tools.length ? { tools: tools.map((name) => ({ name, input_schema: SCHEMA })) } : {}) };
  }
}

const headers = (api: InboundApi): Record<string, string> => (api === "messages" ? { "x-api-key": KEY, "anthropic-version": "2023-06-01" } : { authorization: `Bearer ${KEY}` });

/** What the client received, as its API's payloads (stream, without Chat's [DONE]) or parsed body. */
function received(api: InboundApi, stream: boolean, res: RawSseResult): string[] | unknown {
  if (!stream) return JSON.parse(res.text);
  if (api === "chat") {
    expect(res.payloads.at(-1)).toBe("[DONE]");
    return res.payloads.slice(0, -1);
  }
  return res.payloads;
}

/** The client API closest to an upstream's wire format (Gemini's clients are served in Chat Completions). */
const nativeApi = (wire: WireFormat): InboundApi => (wire === "gemini" || wire === "converse" ? "chat" : wire);

function expectSameAnswer(api: InboundApi, got: Reading, expected: Reading, context: string): void {
  expectSameContent(got, expected, context);
  expect(got.finishWire, context).toBe(finishIn(api, expected.finish!));
  // Messages has no field for reasoning tokens (they are inside output_tokens).
  const passthrough = got.rawUsage !== null && expected.rawUsage !== null && JSON.stringify(got.rawUsage) === JSON.stringify(expected.rawUsage);
  if (!passthrough) expect(got.rawUsage, context).toEqual(usageIn(api, expected.usage!));
  expect(got.usage, context).toEqual(api === "messages" && !passthrough ? { ...expected.usage!, reasoningTokens: 0 } : expected.usage);
}

interface Cell {
  name: string;
  kind: UpstreamKind;
  recording: Recording;
}

const cells: Cell[] = UPSTREAMS.flatMap((kind) =>
  (["text", "tool", "reasoning", "refusal"] as const).flatMap((k) => {
    const recordings = [kind.recordings[k]?.stream, kind.recordings[k]?.body].filter((r): r is Recording => r !== undefined);
    return recordings.map((recording) => ({ name: `${kind.id} ${recording.stream ? "stream" : "body"} ${k} (${recording.source})`, kind, recording }));
  }),
);

let prompts = 0;

describe.each(cells.map((c) => [c.name, c] as const))("%s", (_name, { kind, recording }) => {
  test("is answered once, then replayed from the cache to every API, streamed and not", async () => {
    const expected = readRecording(kind.wire, recording);
    const tools = expected.toolCalls.map((t) => t.name);
    const prompt = `cache replay question ${++prompts}`;
    const liveApi = nativeApi(kind.wire);
    const calls = upstream.requests.length;

    upstream.enqueue(replay(kind.wire, recording));
    const live = await postSse(`${gw.url}${INBOUND[liveApi].path}`, clientBody(liveApi, kind.id, prompt, recording.stream, tools), headers(liveApi));
    expect(live.status, live.text.slice(0, 300)).toBe(200);
    expect(live.headers["x-tollgate-cache"]).toBe("miss");
    const liveRecord = await gw.recordOf(live.headers["x-request-id"]);
    expect(liveRecord.outcome).toBe("complete");
    expect(liveRecord.cache).toBeUndefined();

    for (const api of APIS) {
      for (const stream of [true, false]) {
        const context = `${api} ${stream ? "stream" : "body"} replay`;
        const res = await postSse(`${gw.url}${INBOUND[api].path}`, clientBody(api, kind.id, prompt, stream, tools), headers(api));
        expect(res.status, `${context}: ${res.text.slice(0, 300)}`).toBe(200);
        expect(res.headers["x-tollgate-cache"], context).toBe("hit");
        expect(res.headers.age, context).toBe("0");
        expect(res.headers["content-type"], context).toMatch(stream ? /^text\/event-stream/ : /^application\/json/);
        // The very bytes the live answer carried, when nothing needed translating.
        if (api === liveApi && stream === recording.stream) expect(res.text, `${context}: byte-identical`).toBe(live.text);
        expectSameAnswer(api, read(api, stream, received(api, stream, res)), expected, context);

        const record = await gw.recordOf(res.headers["x-request-id"]);
        expect(record, context).toMatchObject({ outcome: "complete", status: 200, stream, attempts: [], cache: { kind: "exact", savedNanos: liveRecord.costNanos ?? 0 } });
        expect(record.costNanos, context).toBeUndefined();
      }
    }
    expect(upstream.requests.length - calls, "the upstream answered once").toBe(1);
  });
});
