import { afterAll, beforeAll, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// A stream that goes quiet (a model thinking) keeps the client's connection alive with SSE
// comments, which clients ignore, and still ends cleanly.

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway({
    server: { heartbeatMs: 40 },
    providers: { up: { type: "openai", baseURL: upstream.url } },
    models: { m: { timeouts: { idleMs: 5_000 }, targets: [{ provider: "up", model: "m" }] } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

test("idle gaps get heartbeat comments; the frames and the clean end are untouched", async () => {
  const payloads = loadChunks("openai-chat/openai-text.chunks.txt").slice(0, 4);
  // Four frames 200 ms apart: several heartbeat periods of silence between them.
  upstream.enqueue({ kind: "sse", chunks: [...payloads.map((p) => Buffer.from(`data: ${p}\n\n`)), Buffer.from("data: [DONE]\n\n")], delayMs: 200 });
  // Asking for usage, the client gets the recorded frames exactly as sent (their "usage": null included).
  const res = await postSse(`${gw.baseURL}/chat/completions`, { model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
  expect(res.status).toBe(200);
  expect(res.text).toMatch(/^: keep-alive$/m);
  // Comments are invisible to SSE parsers: the client's events are exactly the upstream's.
  expect(res.payloads).toEqual([...payloads, "[DONE]"]);
});
