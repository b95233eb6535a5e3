import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import {
  CHAT_FORMAT_FOLDERS,
  chatSseBytes,
  expectedFromChatChunks,
  expectedFromChatResponse,
  listFixtures,
  loadChunks,
  loadText,
  mulberry32,
  seedMessage,
  splitAtRandomOffsets,
  testSeed,
} from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Every Chat Completions recording, relayed through a real gateway from a fake upstream
// on a real socket, split at random byte offsets, with LF and CRLF framing.
const streams = CHAT_FORMAT_FOLDERS.flatMap((folder) => listFixtures(folder, ".chunks.txt"));
const bodies = CHAT_FORMAT_FOLDERS.flatMap((folder) => listFixtures(folder, ".json")).filter((f) => !f.includes("error"));
const SPLITS_PER_RECORDING = 4;

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway({ providers: { up: { type: "openai-compatible", baseURL: upstream.url } }, models: { m: { targets: [{ provider: "up", model: "recorded" }] } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

function withoutNullUsage(payload: string): string {
  const chunk = JSON.parse(payload) as Record<string, unknown>;
  if (chunk.usage !== null) return payload;
  delete chunk.usage;
  return JSON.stringify(chunk);
}

describe.each(streams)("stream %s", (fixture) => {
  const payloads = loadChunks(fixture);
  const expected = expectedFromChatChunks(payloads);

  test.each([false, true])("relays frames exactly and records the provider's usage (crlf=%s)", async (crlf) => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    for (let i = 0; i < SPLITS_PER_RECORDING; i++) {
      const includeUsage = i % 2 === 0;
      upstream.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(chatSseBytes(payloads, { crlf }), rng, 60) });
      const res = await postSse(`${gw.baseURL}/chat/completions`, {
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const context = seedMessage(seed, `${fixture} split ${i}`);
      expect(res.status, context).toBe(200);
      expect(res.headers["content-type"], context).toMatch(/^text\/event-stream/);
      // Frames pass through untouched; the usage-only chunk, and the `"usage": null` that
      // asking for it adds to every chunk, only when the client asked for it.
      const wanted = payloads.filter((_, n) => includeUsage || !expected.usageOnly[n]).map((p) => (includeUsage ? p : withoutNullUsage(p)));
      expect(res.payloads, context).toEqual([...wanted, "[DONE]"]);
      expect(expectedFromChatChunks(res.payloads.slice(0, -1)).choices, context).toEqual(expected.choices);
      const record = await gw.recordOf(res.headers["x-request-id"]);
      expect(record.outcome, context).toBe("complete");
      if (expected.usage) expect(record.usage, context).toEqual(expected.usage);
      else expect(record.usage?.source, context).toBe("estimated");
    }
  });
});

describe.each(bodies)("body %s", (fixture) => {
  test("relays the body byte for byte and records its usage", async () => {
    const text = loadText(fixture);
    const expected = expectedFromChatResponse(JSON.parse(text));
    upstream.enqueue({ kind: "status", status: 200, body: text, headers: { "content-type": "application/json" } });
    const res = await request(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(text);
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record.usage).toEqual(expected.usage);
  });
});
