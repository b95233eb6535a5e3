import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFakeUpstream, waitFor, type FakeUpstream } from "./fake-upstream.js";
import { chatSseBytes, loadChunks } from "./fixtures.js";

let upstream: FakeUpstream;
let agent: Agent;

beforeEach(async () => {
  upstream = await createFakeUpstream();
  agent = new Agent();
});

afterEach(async () => {
  await upstream.close();
  await agent.destroy();
});

function post(body: unknown = { model: "m" }, signal?: AbortSignal) {
  return request(`${upstream.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer test" },
    body: JSON.stringify(body),
    dispatcher: agent,
    ...(signal ? { signal } : {}),
  });
}

describe("createFakeUpstream", () => {
  it("listens on 127.0.0.1 with a /v1 base URL", () => {
    expect(upstream.url).toBe(`http://127.0.0.1:${upstream.port}/v1`);
    expect(upstream.port).toBeGreaterThan(0);
  });

  it("streams SSE chunks one write each and records the request", async () => {
    const chunks = [Buffer.from('data: {"a":1}\n\n'), Buffer.from("data: [DO"), Buffer.from("NE]\n\n")];
    upstream.enqueue({ kind: "sse", chunks, delayMs: 5 });
    const res = await post({ model: "m", stream: true });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream");
    expect(await res.body.text()).toBe(Buffer.concat(chunks).toString());
    await waitFor(() => upstream.requests[0]?.finishedAt !== undefined);
    const r = upstream.requests[0]!;
    expect(r).toMatchObject({ method: "POST", path: "/v1/chat/completions", body: { model: "m", stream: true }, script: "sse", served: { bytes: Buffer.concat(chunks).length, frames: 2 } });
    expect(r.headers.authorization).toBe("Bearer test");
    expect(r.closedAt).toBeUndefined();
    expect(r.finishedAt).toBeGreaterThanOrEqual(r.receivedAt);
  });

  it("drops the trailing [DONE] frame with endWithoutDone", async () => {
    const payloads = loadChunks("mistral/mistral-text.chunks.txt");
    const bytes = chatSseBytes(payloads, { crlf: true });
    upstream.enqueue({ kind: "sse", chunks: [bytes.subarray(0, 100), bytes.subarray(100, bytes.length - 3), bytes.subarray(bytes.length - 3)], endWithoutDone: true });
    const text = await (await post()).body.text();
    expect(text).toBe(bytes.subarray(0, bytes.length - "data: [DONE]\r\n\r\n".length).toString());
    expect(upstream.requests[0]?.served.frames).toBe(payloads.length);
  });

  it("answers JSON and verbatim statuses with their headers", async () => {
    upstream.enqueue(
      { kind: "json", status: 429, body: { error: { message: "slow down" } }, headers: { "retry-after": "2" } },
      { kind: "status", status: 502, body: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } },
    );
    const first = await post();
    expect(first.statusCode).toBe(429);
    expect(first.headers["retry-after"]).toBe("2");
    expect(first.headers["content-type"]).toBe("application/json");
    expect(await first.body.json()).toEqual({ error: { message: "slow down" } });
    const second = await post();
    expect(second.statusCode).toBe(502);
    expect(await second.body.text()).toBe("<html>Bad Gateway</html>");
    expect(upstream.requests.map((r) => r.script)).toEqual(["json", "status"]);
  });

  it("falls back to the default script, then to a 500", async () => {
    const none = await post();
    expect(none.statusCode).toBe(500);
    expect(JSON.stringify(await none.body.json())).toContain("no script queued");
    upstream.setDefault({ kind: "json", status: 200, body: { ok: true } });
    expect(await (await post()).body.json()).toEqual({ ok: true });
    expect(await (await post()).body.json()).toEqual({ ok: true });
    expect(upstream.pending()).toBe(0);
  });

  it("hang: never answers, and records when the client gives up", async () => {
    upstream.enqueue({ kind: "hang" });
    const controller = new AbortController();
    const pending = post({}, controller.signal);
    await waitFor(() => upstream.requests.length === 1);
    await sleep(20);
    expect(upstream.requests[0]?.closedAt).toBeUndefined();
    const abortedAt = performance.now();
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => upstream.requests[0]?.closedAt !== undefined);
    expect(upstream.requests[0]?.closedBy).toBe("client");
    expect(upstream.requests[0]?.closedAt).toBeGreaterThanOrEqual(abortedAt);
  });

  it("stall: sends headers and chunks, then silence until the client leaves", async () => {
    upstream.enqueue({ kind: "stall", chunks: [Buffer.from("data: {}\n\n")] });
    const controller = new AbortController();
    const res = await post({}, controller.signal);
    expect(res.statusCode).toBe(200);
    const iterator = res.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe("data: {}\n\n");
    const next = iterator.next();
    const winner = await Promise.race([next.then(() => "data"), sleep(50).then(() => "silence")]);
    expect(winner).toBe("silence");
    controller.abort();
    await expect(next).rejects.toThrow();
    await waitFor(() => upstream.requests[0]?.closedAt !== undefined);
    expect(upstream.requests[0]).toMatchObject({ closedBy: "client", served: { frames: 1 } });
  });

  it("cut: sends the chunks, then destroys the socket mid-body", async () => {
    upstream.enqueue({ kind: "cut", chunks: [Buffer.from('data: {"x":1}\n\n'), Buffer.from('data: {"y"')] });
    const res = await post();
    expect(res.statusCode).toBe(200);
    let received = "";
    await expect(
      (async () => {
        for await (const piece of res.body) received += Buffer.from(piece as Uint8Array).toString();
      })(),
    ).rejects.toThrow();
    expect(received).toBe('data: {"x":1}\n\ndata: {"y"');
    expect(upstream.requests[0]).toMatchObject({ closedBy: "server", served: { frames: 1 } });
  });

  it("cut before headers: the request fails outright", async () => {
    upstream.enqueue({ kind: "cut", chunks: [], beforeHeaders: true });
    await expect(post()).rejects.toThrow();
    expect(upstream.requests[0]?.closedBy).toBe("server");
  });

  it("stops writing when the client leaves mid-stream", async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`data: {"i":${i}}\n\n`));
    upstream.enqueue({ kind: "sse", chunks, delayMs: 10 });
    const controller = new AbortController();
    const res = await post({}, controller.signal);
    const iterator = res.body[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await waitFor(() => upstream.requests[0]?.closedAt !== undefined);
    expect(upstream.requests[0]!.served.frames).toBeLessThan(50);
    expect(upstream.requests[0]?.finishedAt).toBeUndefined();
  });

  it("close() ends hanging and stalled exchanges at once", async () => {
    upstream.enqueue({ kind: "hang" }, { kind: "stall", chunks: [] });
    const hanging = post().catch((err: unknown) => err);
    const stalled = await post();
    await waitFor(() => upstream.requests.length === 2);
    // Resolving at all is the point: a hanging exchange would hold close() until the test times out.
    await upstream.close();
    expect(await hanging).toBeInstanceOf(Error);
    await expect(stalled.body.text()).rejects.toThrow();
    await upstream.close();
  });
});

describe("waitFor", () => {
  it("resolves once the predicate holds, async predicates included", async () => {
    let n = 0;
    await waitFor(() => ++n >= 3);
    expect(n).toBe(3);
    await waitFor(async () => true);
  });

  it("rejects after the timeout with the message", async () => {
    await expect(waitFor(() => false, { timeoutMs: 20, message: "never" })).rejects.toThrow(/20 ms: never/);
  });
});
