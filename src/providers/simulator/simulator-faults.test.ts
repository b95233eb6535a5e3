import { describe, expect, it } from "vitest";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import { classifyTransportError } from "../../transport/http-transport.js";
import { createSimulatorTransport, virtualClock } from "./index.js";
import { adapter, chatSpec, parseStream, readBody, readUntilQuiet, sendOptions, simConfig, turns } from "./test-support/sim-client.js";

const messages = [{ role: "user", content: "Why do retries need jitter?" }];
const streamed = (model = "sim", extra: Record<string, unknown> = {}) => chatSpec({ model, stream: true, messages, ...extra }, model);

/** The data payloads of raw SSE text. */
function dataOf(text: string): string[] {
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((frame) => frame.replace(/^data: /, ""));
}

/** Content tokens in a list of SSE messages, skipping frames that are not JSON. */
function contentTokens(data: string[]): number {
  let count = 0;
  for (const d of data) {
    try {
      const chunk = JSON.parse(d) as { choices?: { delta?: { content?: string } }[] };
      if (chunk.choices?.[0]?.delta?.content) count++;
    } catch {
      // the malformed frame
    }
  }
  return count;
}

describe("status faults", () => {
  it("answers 429 from a model suffix with retry-after headers and an OpenAI error body", async () => {
    const res = await createSimulatorTransport(simConfig()).send(streamed("sim+429"), sendOptions());
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.headers["retry-after-ms"]).toBe("1000");
    const error = adapter.parseError(429, (await readBody(res)).text);
    expect(error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(error.message).toMatch(/simulat/i);
  });

  it("uses the configured retryAfterSeconds", async () => {
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "status", status: 429, retryAfterSeconds: 2.5 } })).send(streamed(), sendOptions());
    expect(res.headers["retry-after"]).toBe("3");
    expect(res.headers["retry-after-ms"]).toBe("2500");
  });

  it("answers a configured 500 without retry-after", async () => {
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "status", status: 500 } })).send(streamed(), sendOptions());
    expect(res.status).toBe(500);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(adapter.parseError(500, (await readBody(res)).text)).toMatchObject({ type: "server_error" });
  });

  it("lets the model suffix win over the configured fault", async () => {
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "status", status: 503 } })).send(streamed("sim+500"), sendOptions());
    expect(res.status).toBe(500);
  });

  it("misbehaves only `times` times, then answers normally (500 then success)", async () => {
    const transport = createSimulatorTransport(simConfig({ fault: { kind: "status", status: 500, times: 2 } }));
    expect((await transport.send(streamed(), sendOptions())).status).toBe(500);
    expect((await transport.send(streamed(), sendOptions())).status).toBe(500);
    const ok = await transport.send(streamed(), sendOptions());
    expect(ok.status).toBe(200);
    expect(parseStream((await readBody(ok)).messages).done).toBe(true);
  });

  it("applies `times` to a suffix fault too", async () => {
    const transport = createSimulatorTransport(simConfig({ fault: { kind: "cut", times: 1 } }));
    expect((await transport.send(streamed("sim+429"), sendOptions())).status).toBe(429);
    expect((await transport.send(streamed("sim+429"), sendOptions())).status).toBe(200);
  });
});

describe("hang", () => {
  it("never sends headers; the promise rejects with the signal's reason on abort", async () => {
    const controller = new AbortController();
    let settled = false;
    const pending = createSimulatorTransport(simConfig()).send(streamed("sim+hang"), sendOptions(controller.signal));
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await turns();
    expect(settled).toBe(false);
    const reason = new Error("gave up");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("fails like undici's headers timeout when the transport is given one", async () => {
    const pending = createSimulatorTransport(simConfig(), virtualClock()).send(streamed("sim+hang"), sendOptions(undefined, 5000));
    const error = await pending.catch((err: unknown) => err);
    expect(error).toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
    expect(classifyTransportError(error)).toBe("headers_timeout");
  });

  it("recovers after `times` hangs", async () => {
    const transport = createSimulatorTransport(simConfig({ fault: { kind: "hang", times: 1 } }));
    const controller = new AbortController();
    const hung = transport.send(streamed(), sendOptions(controller.signal));
    controller.abort();
    await expect(hung).rejects.toMatchObject({ name: "AbortError" });
    expect((await transport.send(streamed(), sendOptions())).status).toBe(200);
  });
});

// Stall tests pace on the virtual clock: every due token arrives within a few event-loop
// turns, so a read that stays pending for many turns is the stall, not a timer.
describe("stall", () => {
  it("sends headers and afterTokens tokens, then nothing until aborted", async () => {
    const controller = new AbortController();
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "stall", afterTokens: 3 } }), virtualClock()).send(streamed(), sendOptions(controller.signal));
    expect(res.status).toBe(200);
    const { text, pending } = await readUntilQuiet(res.body);
    expect(contentTokens(dataOf(text))).toBe(3);
    expect(text).not.toContain("[DONE]");
    const reason = new Error("idle timeout");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("with afterTokens 0 sends headers only, and destroy() ends it", async () => {
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "stall", afterTokens: 0 } }), virtualClock()).send(streamed(), sendOptions());
    const { text, pending } = await readUntilQuiet(res.body);
    expect(text).toBe("");
    res.destroy();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it("from the model suffix defaults to 5 tokens", async () => {
    const controller = new AbortController();
    const res = await createSimulatorTransport(simConfig(), virtualClock()).send(streamed("sim+stall"), sendOptions(controller.signal));
    const { text, pending } = await readUntilQuiet(res.body);
    expect(contentTokens(dataOf(text))).toBe(5);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("cut", () => {
  it("sends afterTokens tokens, then the body throws like a reset connection", async () => {
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "cut", afterTokens: 4 } })).send(streamed(), sendOptions());
    expect(res.status).toBe(200);
    const read = await readBody(res);
    expect(read.error).toBeInstanceOf(Error);
    expect(read.error).toMatchObject({ code: "UND_ERR_SOCKET", message: "other side closed" });
    const parsed = parseStream(read.messages);
    expect(parsed.pieces.get(0)).toHaveLength(4);
    expect(parsed.done).toBe(false);
    expect(read.text).not.toContain("[DONE]");
  });

  it("cuts a non-streamed body half way", async () => {
    const res = await createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim+cut", messages }, "sim+cut"), sendOptions());
    expect(res.status).toBe(200);
    const read = await readBody(res);
    expect(read.error).toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(() => JSON.parse(read.text)).toThrow();
  });
});

describe("malformed", () => {
  it("sends a frame that is not JSON after afterTokens tokens, then carries on", async () => {
    const res = await createSimulatorTransport(simConfig({ fault: { kind: "malformed", afterTokens: 2 } })).send(streamed(), sendOptions());
    const read = await readBody(res);
    expect(read.error).toBeUndefined();
    expect(read.text).toContain("data: {not json\n\n");
    const index = read.messages.findIndex((m) => m.data === "{not json");
    expect(contentTokens(read.messages.slice(0, index).map((m) => m.data))).toBe(2);
    expect(() => adapter.parseStreamMessage(read.messages[index]!, false)).toThrow(UpstreamProtocolError);
    const rest = read.messages.filter((_, i) => i !== index);
    const parsed = parseStream(rest);
    expect(parsed.done).toBe(true);
    expect(parsed.finish.get(0)).toBe("stop");
  });

  it("sends a non-streamed body that is not JSON", async () => {
    const res = await createSimulatorTransport(simConfig()).send(chatSpec({ model: "sim+malformed", messages }, "sim+malformed"), sendOptions());
    const read = await readBody(res);
    expect(res.status).toBe(200);
    expect(() => JSON.parse(read.text)).toThrow();
  });
});
