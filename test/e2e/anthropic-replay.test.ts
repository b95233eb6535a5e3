import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { anthropicExchanges, expectedFromAnthropicChunks, expectedFromAnthropicResponse } from "../support/anthropic-expected.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { listFixtures, loadChunks, loadText, mulberry32, namedEventSseBytes, seedMessage, splitAtRandomOffsets, testSeed } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Every Anthropic recording relayed through a real gateway to a Messages client from a
// fake Anthropic upstream on a real socket, split at random byte offsets, LF and CRLF:
// the same-format fast path forwards each frame's payload untouched.
const streams = listFixtures("anthropic", ".chunks.txt");
const bodies = listFixtures("anthropic", ".json");
const SPLITS_PER_RECORDING = 4;
const KEY = "tg-anthropic-replay-client-key";

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:KEY"] },
      providers: { ant: { type: "anthropic", baseURL: upstream.url, apiKey: "env:ANT" } },
      models: { claude: { targets: [{ provider: "ant", model: "claude-recorded" }] } },
    },
    { env: { KEY, ANT: "sk-ant-upstream-secret" } },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const ask = { model: "claude", max_tokens: 256, messages: [{ role: "user", content: "hi" }] };
const headers = { "x-api-key": KEY, "anthropic-version": "2023-06-01" };

describe.each(streams)("stream %s", (fixture) => {
  const exchanges = anthropicExchanges(loadChunks(fixture));

  test.each([false, true])("relays every frame's payload untouched and records the provider's usage (crlf=%s)", async (crlf) => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    for (let i = 0; i < Math.max(SPLITS_PER_RECORDING, exchanges.length); i++) {
      const payloads = exchanges[i % exchanges.length]!;
      const expected = expectedFromAnthropicChunks(payloads);
      upstream.enqueue({ kind: "sse", chunks: splitAtRandomOffsets(namedEventSseBytes(payloads, { crlf }), rng, 60) });
      const res = await postSse(`${gw.url}/v1/messages`, { ...ask, stream: true }, headers);
      const context = seedMessage(seed, `${fixture} split ${i}`);
      expect(res.status, context).toBe(200);
      expect(res.headers["content-type"], context).toMatch(/^text\/event-stream/);
      // Payloads and event names exactly as recorded, pings and message_stop included.
      expect(res.payloads, context).toEqual(payloads);
      expect(
        res.messages.map((m) => m.event),
        context,
      ).toEqual(expected.types);
      // Byte for byte the recording's frames: those before the first content re-framed with LF,
      // the rest relayed as the upstream framed them (CRLF in half the runs), the same events either way.
      expect(res.text.replaceAll("\r\n", "\n"), context).toBe(namedEventSseBytes(payloads).toString("utf8"));
      if (!crlf) expect(res.text, context).not.toContain("\r");
      const record = await gw.recordOf(res.headers["x-request-id"]);
      expect(record.outcome, context).toBe("complete");
      expect(record.api, context).toBe("anthropic-messages");
      expect(record.usage, context).toEqual(expected.usage);
      // What the upstream received: the client's body with the target's model, Anthropic's headers.
      const sent = upstream.requests.at(-1)!;
      expect(sent.path, context).toBe("/v1/messages");
      expect(sent.body, context).toEqual({ ...ask, stream: true, model: "claude-recorded" });
      expect(sent.headers["x-api-key"], context).toBe("sk-ant-upstream-secret");
      expect(sent.headers["anthropic-version"], context).toBe("2023-06-01");
    }
  });
});

describe.each(bodies)("body %s", (fixture) => {
  test("relays the body byte for byte and records its usage", async () => {
    const text = loadText(fixture);
    upstream.enqueue({ kind: "status", status: 200, body: text, headers: { "content-type": "application/json" } });
    const res = await request(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(ask) });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(text);
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record.usage).toEqual(expectedFromAnthropicResponse(JSON.parse(text)).usage);
  });
});
