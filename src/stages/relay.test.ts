import { describe, expect, it } from "vitest";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { AnswerRecorder } from "../engine/answer-recorder.js";
import { scriptedProvider, TIMEOUTS } from "../engine/test-support/scripted-upstream.js";
import { type OpenedUpstream, openUpstream } from "../engine/upstream-attempt.js";
import type { ResponseSink } from "../spec/response-sink.js";
import type { RoutedContext } from "./context.js";
import { relay } from "./relay.js";

// OpenAI adds "usage": null to every chunk once usage is asked for (Tollgate always asks).
const frame = (body: Record<string, unknown>) => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", ...body, usage: body.usage ?? null })}\n\n`;
const frames = [
  frame({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }),
  frame({ choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] }),
  frame({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
  frame({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }),
];
const DONE = "data: [DONE]\n\n";

/** Relays one scripted stream through the relay stage: every write the sink got, as handed over, and the answer relayed. */
async function relayed(client: Record<string, unknown>, recorder?: AnswerRecorder): Promise<{ writes: Array<string | Uint8Array>; upstream: OpenedUpstream }> {
  const request = openaiChatCodec.parseRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, ...client });
  // One read for the frames up to the first content, one for the rest.
  const provider = scriptedProvider("a", [{ body: [{ text: frames[0]! + frames[1]! }, { text: frames[2]! + frames[3]! + DONE }, { end: true }] }]);
  const upstream = await openUpstream(provider, request, "m", TIMEOUTS, new AbortController().signal);
  const writes: Array<string | Uint8Array> = [];
  const sink: ResponseSink = {
    headersSent: true,
    send: () => undefined,
    openStream: () => undefined,
    write: (data) => void writes.push(data),
    end: (data) => void (data === undefined || writes.push(data)),
  };
  const ctx = { upstream, sink, codec: openaiChatCodec, request, responseHeaders: {}, services: { config: { server: { heartbeatMs: 60_000 } } }, ...(recorder ? { recorder } : {}) };
  try {
    await relay(ctx as unknown as RoutedContext, () => Promise.resolve());
  } finally {
    if (upstream.kind === "stream") upstream.stream.dispose();
  }
  return { writes, upstream };
}

const text = (writes: ReadonlyArray<string | Uint8Array>) => writes.map((w) => (typeof w === "string" ? w : Buffer.from(w).toString("utf8"))).join("");

describe("relay: the upstream's bytes, or frames written by the encoder", () => {
  it("a same-format client that asked for usage gets the upstream's bytes, one write per read, then [DONE]", async () => {
    const { writes } = await relayed({ stream_options: { include_usage: true } });
    expect(writes.slice(0, -1).every((w) => w instanceof Uint8Array)).toBe(true);
    expect(writes.map((w) => (typeof w === "string" ? w : Buffer.from(w).toString("utf8")))).toEqual([frames[0]! + frames[1]!, frames[2]! + frames[3]!, DONE]);
  });

  it("a client that did not ask for usage gets frames the encoder rewrote: no usage chunk, no null usage", async () => {
    const { writes } = await relayed({});
    expect(writes.every((w) => typeof w === "string")).toBe(true);
    expect(text(writes)).not.toContain('"usage"');
    expect(text(writes)).toContain('"content":"Hi"');
  });

  it("with a recorder (cache, idempotent replay) the frames go through the encoder, and are kept", async () => {
    const recorder = new AnswerRecorder();
    const { writes, upstream } = await relayed({ stream_options: { include_usage: true } }, recorder);
    expect(writes.every((w) => typeof w === "string")).toBe(true);
    // The same frames, re-framed by the encoder.
    expect(text(writes)).toBe(frames.join("") + DONE);
    const answer = recorder.answer(upstream);
    expect(answer?.kind === "stream" && answer.batches.map((batch) => batch.map((c) => c.raw))).toEqual(
      [frames.slice(0, 2), frames.slice(2)].map((batch) => batch.map((f) => f.slice("data: ".length, -2))),
    );
  });
});
