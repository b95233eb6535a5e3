import { describe, expect, it } from "vitest";
import { CHAT_FORMAT_FOLDERS, chatSseBytes, listFixtures, loadChunks, mulberry32, seedMessage, splitAtRandomOffsets, testSeed } from "../../test/support/fixtures.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { passthroughChatEncoder } from "../apis/openai-chat/encode-stream.js";
import { AnswerRecorder } from "../engine/answer-recorder.js";
import { usageOf } from "../engine/final-usage.js";
import { scriptedProvider, TIMEOUTS } from "../engine/test-support/scripted-upstream.js";
import { type OpenedUpstream, openUpstream } from "../engine/upstream-attempt.js";
import { parseChatChunk } from "../providers/openai/chat-stream.js";
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

const chatRequest = (client: Record<string, unknown>) => openaiChatCodec.parseRequest({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, ...client });
// One read for the frames up to the first content, one for the rest.
const twoReads = () => [Buffer.from(frames[0]! + frames[1]!), Buffer.from(frames[2]! + frames[3]! + DONE)];

/** Relays one scripted stream (its network reads) through the relay stage: every write the sink got, as handed over, and the answer relayed. */
async function relayed(
  client: Record<string, unknown>,
  recorder?: AnswerRecorder,
  reads: readonly Uint8Array[] = twoReads(),
): Promise<{ writes: Array<string | Uint8Array>; upstream: OpenedUpstream }> {
  const request = chatRequest(client);
  const provider = scriptedProvider("a", [{ body: [...reads.map((bytes) => ({ bytes })), { end: true }] }]);
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

  it("a client that did not ask for usage gets the upstream's bytes rewritten: no usage chunk, no null usage", async () => {
    const { writes } = await relayed({});
    expect(writes.slice(0, -1).every((w) => w instanceof Uint8Array)).toBe(true);
    expect(text(writes)).toBe(frames.slice(0, 3).join("").replaceAll(',"usage":null', "") + DONE);
  });

  it("every Chat recording to a client that did not ask for usage: byte for byte what the encoder writes of its chunks, however reads cut it; the same usage", async () => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    const encoder = passthroughChatEncoder(chatRequest({}));
    for (const recording of CHAT_FORMAT_FOLDERS.flatMap((folder) => listFixtures(folder, ".chunks.txt"))) {
      const payloads = loadChunks(recording);
      // What the frames went out as before the byte relay served this client: each chunk parsed and written by the encoder.
      const expected = Buffer.from(payloads.map((payload, i) => encoder.chunk(parseChatChunk(payload, i === 0))).join("") + DONE, "utf8");
      for (const crlf of [false, true]) {
        const wire = chatSseBytes(payloads, { crlf });
        // Whole (all but the first content waits for the relay), and cut at random, inside characters too.
        for (const reads of [[wire], splitAtRandomOffsets(wire, rng, 40)]) {
          const context = seedMessage(seed, `${recording}${crlf ? ", \\r\\n" : ""}, ${reads.length} reads`);
          const bytes = await relayed({}, undefined, reads);
          expect(
            bytes.writes.slice(0, -1).every((w) => w instanceof Uint8Array),
            context,
          ).toBe(true);
          expect(Buffer.concat(bytes.writes.map((w) => Buffer.from(w))).toString("latin1"), context).toBe(expected.toString("latin1"));
          // The same stream kept by a recorder goes through the encoder: the same bytes, the same usage.
          const encoded = await relayed({}, new AnswerRecorder(), reads);
          expect(Buffer.from(text(encoded.writes), "utf8").equals(expected), context).toBe(true);
          expect(usageOf(chatRequest({}), bytes.upstream), context).toEqual(usageOf(chatRequest({}), encoded.upstream));
        }
      }
    }
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
