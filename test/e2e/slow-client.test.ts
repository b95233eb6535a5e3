import { request as httpRequest, type IncomingMessage } from "node:http";
import { once } from "node:events";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";

// A client that reads slowly makes the gateway wait (backpressure to the upstream), and
// that wait is not mistaken for a silent upstream: the idle limit only counts upstream silence.

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway({
    providers: { up: { type: "openai", baseURL: upstream.url } },
    models: { m: { timeouts: { idleMs: 300 }, targets: [{ provider: "up", model: "m" }] } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

test("a client that stops reading for longer than the idle limit still gets the whole stream", async () => {
  const frame = loadChunks("openai-chat/openai-text.chunks.txt")[5]!;
  // About 16 MB: far more than the socket buffers between the gateway and the client hold.
  const count = 50_000;
  const body = Buffer.from(`${`data: ${frame}\n\n`.repeat(count)}data: [DONE]\n\n`);
  upstream.enqueue({ kind: "sse", chunks: [body] });

  // Asking for usage, the client gets the recorded frames exactly as sent (their "usage": null included).
  const request = JSON.stringify({ model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
  const req = httpRequest(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } });
  req.end(request);
  const [res] = (await once(req, "response")) as [IncomingMessage];
  res.pause();
  // Not reading for 4× the idle limit: the gateway's writes back up and it stops reading upstream.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const parts: Buffer[] = [];
  res.on("data", (b: Buffer) => parts.push(b));
  res.resume();
  await once(res, "end");
  const text = Buffer.concat(parts).toString("utf8");

  expect(text).not.toContain('"error"');
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  expect(text.split(frame).length - 1).toBe(count);
});
