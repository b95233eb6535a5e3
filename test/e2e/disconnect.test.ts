import { request } from "undici";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createFakeUpstream, waitFor, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway({ providers: { up: { type: "openai", baseURL: upstream.url } }, models: { slow: { targets: [{ provider: "up", model: "m" }] } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

test("a client leaving mid-stream aborts the upstream before it finished, and the tokens seen so far are recorded", async () => {
  const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
  // One frame every 20 ms: the upstream would run for about 6 s if nobody stopped it.
  const frames = payloads.map((p) => Buffer.from(`data: ${p}\n\n`));
  upstream.enqueue({ kind: "sse", chunks: frames, delayMs: 20 });
  const controller = new AbortController();
  const res = await request(`${gw.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "slow", stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal: controller.signal,
  });
  const requestId = res.headers["x-request-id"];
  let received = 0;
  let aborted = false;
  try {
    for await (const bytes of res.body) {
      received += bytes.length;
      if (received > 2_000) {
        aborted = true;
        controller.abort();
      }
    }
  } catch {
    // The abort surfaces as an error on the client side.
  }
  expect(aborted).toBe(true);
  const seen = upstream.requests[0]!;
  await waitFor(() => seen.closedAt !== undefined, { message: "upstream connection never closed" });
  expect(seen.closedBy).toBe("client");
  // The gateway closed the upstream mid-answer: it never served the rest, nor finished.
  expect(seen.served.frames).toBeLessThan(payloads.length);
  expect(seen.finishedAt).toBeUndefined();

  const record = await gw.recordOf(requestId);
  expect(record.outcome).toBe("cancelled");
  expect(record.status).toBe(499);
  expect(record.attempts[0]!.status).toBe("cancelled");
  // The provider never sent usage: the output so far is counted, and marked as estimated.
  expect(record.usage?.source).toBe("estimated");
  expect(record.usage!.outputTokens).toBeGreaterThan(0);
  expect(record.usage!.inputTokens).toBeGreaterThan(0);
});
