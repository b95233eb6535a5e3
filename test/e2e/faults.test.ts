import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, loadChunks } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// The fault matrix: a primary and a backup upstream on real sockets, each misbehaving on
// cue. Each case checks what the client received, what each upstream saw, and the record.

const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
const fullStream = () => chatSseBytes(payloads);
/** The role chunk, then `n` content chunks, framed but without the end. */
const firstFrames = (n: number) => chatSseBytes(payloads.slice(0, n + 1)).subarray(0, -"data: [DONE]\n\n".length);
const ask = { messages: [{ role: "user", content: "hello" }] };

let primary: FakeUpstream;
let backup: FakeUpstream;
let gw: TestGateway;

function config(): ConfigInput {
  // Generous enough that a busy CI machine does not trip them on the healthy paths.
  const fast = { timeouts: { headersMs: 800, firstTokenMs: 800, idleMs: 800 }, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 } };
  return {
    providers: { a: { type: "openai", baseURL: primary.url, apiKey: "sk-primary-secret-0001" }, b: { type: "openai", baseURL: backup.url, apiKey: "sk-backup-secret-0002" } },
    models: {
      both: {
        ...fast,
        targets: [
          { provider: "a", model: "pa" },
          { provider: "b", model: "pb" },
        ],
      },
      solo: { ...fast, targets: [{ provider: "a", model: "pa" }] },
      breaker: {
        ...fast,
        retry: { maxRetries: 0 },
        breaker: { failureThreshold: 2, cooldownMs: 60_000 },
        targets: [
          { provider: "a", model: "flaky" },
          { provider: "b", model: "pb" },
        ],
      },
    },
  };
}

beforeAll(async () => {
  primary = await createFakeUpstream();
  backup = await createFakeUpstream();
});
// A fresh gateway per case, so that one case's failures do not open another's breakers.
beforeEach(async () => {
  gw = await startGateway(config());
});
afterEach(async () => {
  await gw.close();
  expect(primary.pending(), "every queued primary script was used").toBe(0);
  expect(backup.pending(), "every queued backup script was used").toBe(0);
  primary.requests.length = 0;
  backup.requests.length = 0;
});
afterAll(async () => {
  await primary?.close();
  await backup?.close();
});

const chat = (model: string, extra: Record<string, unknown> = {}) => postSse(`${gw.baseURL}/chat/completions`, { model, ...ask, ...extra });
// Asking for usage, the client gets the recorded frames exactly as sent (their "usage": null included).
const stream = (model: string) => chat(model, { stream: true, stream_options: { include_usage: true } });
const recordOf = (res: { headers: Record<string, string | string[] | undefined> }) => gw.recordOf(res.headers["x-request-id"]);

describe("before the first byte: retried, then fallen back", () => {
  test("429 with Retry-After is waited out and retried on the same target", async () => {
    primary.enqueue({ kind: "json", status: 429, body: { error: { message: "slow down", type: "rate_limit" } }, headers: { "retry-after-ms": "40" } }, { kind: "sse", chunks: [fullStream()] });
    const res = await stream("solo");
    expect(res.status).toBe(200);
    expect(res.payloads.at(-1)).toBe("[DONE]");
    expect(res.headers["x-tollgate-attempts"]).toBe("2");
    expect(primary.requests).toHaveLength(2);
    // The retry came after the upstream's requested wait.
    expect(primary.requests[1]!.receivedAt - primary.requests[0]!.receivedAt).toBeGreaterThanOrEqual(39);
    const record = await recordOf(res);
    expect(record.attempts.map((a) => [a.status, a.errorCode])).toEqual([
      ["error", "upstream_rate_limited"],
      ["ok", undefined],
    ]);
  });

  test("500 then success", async () => {
    primary.enqueue({ kind: "json", status: 500, body: { error: { message: "boom" } } }, { kind: "sse", chunks: [fullStream()] });
    const res = await stream("solo");
    expect(res.status).toBe(200);
    expect(res.payloads.at(-1)).toBe("[DONE]");
    expect((await recordOf(res)).attempts.map((a) => a.upstreamStatus ?? a.status)).toEqual([500, "ok"]);
  });

  test("hang before headers: headers timeout, retry, then the backup serves", async () => {
    primary.enqueue({ kind: "hang" }, { kind: "hang" });
    backup.enqueue({ kind: "sse", chunks: [fullStream()] });
    const res = await stream("both");
    expect(res.status).toBe(200);
    expect(res.headers["x-tollgate-target"]).toBe("b/pb");
    expect(res.headers["x-tollgate-attempts"]).toBe("3");
    expect(primary.requests.every((r) => r.closedBy === "client")).toBe(true);
    expect(backup.requests[0]!.body).toMatchObject({ model: "pb" });
    const record = await recordOf(res);
    expect(record.attempts.map((a) => a.errorCode)).toEqual(["upstream_timeout", "upstream_timeout", undefined]);
  });

  test("headers then silence before the first token: first-token timeout, fallback", async () => {
    primary.enqueue({ kind: "stall", chunks: [firstFrames(0)] }, { kind: "stall", chunks: [] });
    backup.enqueue({ kind: "sse", chunks: [fullStream()] });
    const res = await stream("both");
    expect(res.status).toBe(200);
    expect(res.headers["x-tollgate-target"]).toBe("b/pb");
    // Nothing from the abandoned primary reached the client: one role chunk, from the backup.
    expect(res.payloads.filter((p) => p.includes('"role":"assistant"'))).toHaveLength(1);
  });

  test("a malformed first chunk is retried", async () => {
    primary.enqueue({ kind: "sse", chunks: [Buffer.from("data: {not json\n\n")] }, { kind: "sse", chunks: [fullStream()] });
    const res = await stream("solo");
    expect(res.status).toBe(200);
    expect((await recordOf(res)).attempts[0]!.errorCode).toBe("upstream_malformed_response");
  });

  test("all targets down: 502 naming each failure, no retry storm beyond the policy", async () => {
    for (let i = 0; i < 2; i++) {
      primary.enqueue({ kind: "json", status: 503, body: { error: { message: "primary down" } } });
      backup.enqueue({ kind: "json", status: 500, body: { error: { message: "backup down" } } });
    }
    const res = await chat("both");
    expect(res.status).toBe(502);
    const body = JSON.parse(res.text) as { error: { code: string; message: string; type: string } };
    expect(body.error.code).toBe("all_targets_failed");
    expect(body.error.message).toContain("a/pa");
    expect(body.error.message).toContain("b/pb");
    expect(body.error.message).toContain("backup down");
    expect(primary.requests).toHaveLength(2);
    expect(backup.requests).toHaveLength(2);
  });

  test("all targets rate-limited: 429 with Retry-After for the client", async () => {
    for (let i = 0; i < 2; i++) primary.enqueue({ kind: "json", status: 429, body: { error: { message: "quota" } }, headers: { "retry-after": "1" } });
    const res = await chat("solo");
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("1");
  });

  test("a request the provider rejects (400) is not retried or fallen back; its error reaches the client", async () => {
    primary.enqueue({
      kind: "json",
      status: 400,
      body: { error: { message: "Unsupported parameter: 'max_tokens'", type: "invalid_request_error", param: "max_tokens", code: "unsupported_parameter" } },
    });
    const res = await chat("both");
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: "unsupported_parameter", param: "max_tokens" } });
    expect(backup.requests).toHaveLength(0);
  });

  test("an upstream that echoes its key in an error never leaks it", async () => {
    primary.enqueue({ kind: "json", status: 401, body: { error: { message: "Incorrect API key provided: sk-primary-secret-0001. Bearer sk-primary-secret-0001" } } });
    const res = await chat("solo");
    expect(res.status).toBe(502);
    expect(res.text).not.toContain("sk-primary-secret-0001");
    expect(res.text).toContain("upstream");
  });

  test("the circuit opens after repeated failures and the dead target is skipped", async () => {
    primary.enqueue({ kind: "json", status: 500, body: {} }, { kind: "json", status: 500, body: {} });
    backup.enqueue({ kind: "sse", chunks: [fullStream()] }, { kind: "sse", chunks: [fullStream()] }, { kind: "sse", chunks: [fullStream()] });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await stream("breaker"));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(primary.requests).toHaveLength(2);
    expect(backup.requests).toHaveLength(3);
    const third = await recordOf(results[2]!);
    expect(third.attempts.map((a) => a.provider)).toEqual(["b"]);
  });
});

describe("after the first byte: reported in the stream, never a clean end", () => {
  test("stall mid-stream: idle timeout, an error event, no [DONE]", async () => {
    primary.enqueue({ kind: "stall", chunks: [firstFrames(5)] });
    const res = await stream("both");
    expect(res.status).toBe(200);
    expect(res.payloads).not.toContain("[DONE]");
    const last = JSON.parse(res.payloads.at(-1)!) as { error: { code: string } };
    expect(last.error.code).toBe("upstream_timeout");
    expect(res.payloads.slice(0, -1)).toEqual(payloads.slice(0, 6));
    // Never retried or fallen back once the client had bytes.
    expect(backup.requests).toHaveLength(0);
    const record = await recordOf(res);
    expect(record.outcome).toBe("failed");
    expect(record.usage).toMatchObject({ source: "estimated", outputTokens: expect.any(Number) });
    expect(record.usage!.outputTokens).toBeGreaterThan(0);
  });

  test("connection cut mid-stream: an error event, no [DONE]", async () => {
    primary.enqueue({ kind: "cut", chunks: [firstFrames(8)] });
    const res = await stream("both");
    expect(res.payloads).not.toContain("[DONE]");
    expect(JSON.parse(res.payloads.at(-1)!)).toMatchObject({ error: { code: "upstream_connection_error" } });
    expect((await recordOf(res)).outcome).toBe("failed");
  });

  test("a stream that ends without [DONE] is reported as cut", async () => {
    primary.enqueue({ kind: "sse", chunks: [fullStream()], endWithoutDone: true });
    const res = await stream("solo");
    expect(res.payloads).not.toContain("[DONE]");
    expect(JSON.parse(res.payloads.at(-1)!)).toMatchObject({ error: { code: "upstream_connection_error" } });
    await recordOf(res);
  });

  test("a malformed chunk mid-stream: an error event, no [DONE]", async () => {
    primary.enqueue({ kind: "sse", chunks: [firstFrames(3), Buffer.from("data: {oops\n\n")] });
    const res = await stream("solo");
    expect(res.payloads).not.toContain("[DONE]");
    expect(JSON.parse(res.payloads.at(-1)!)).toMatchObject({ error: { code: "upstream_malformed_response" } });
    await recordOf(res);
  });
});
