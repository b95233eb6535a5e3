import { describe, expect, it } from "vitest";
import { chatSseBytes, expectedFromChatChunks, loadChunks, splitAt } from "../../test/support/fixtures.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { createOpenAIChatAdapter } from "../providers/openai/adapter.js";
import type { UpstreamChunk } from "../spec/stream-events.js";
import { AnswerRecorder, replayAnswer, type RecordedAnswer } from "./answer-recorder.js";
import { FrameReader } from "./frame-reader.js";
import { ReplayedStream } from "./replayed-stream.js";

const payloads = loadChunks("deepseek/deepseek-tool-call.chunks.txt");
const adapter = createOpenAIChatAdapter({ baseURL: "http://x/v1", headers: {}, streamUsageOption: true });

/** The recording's chunks, grouped as three network reads delivered them. */
function liveBatches(): UpstreamChunk[][] {
  const bytes = chatSseBytes(payloads);
  const reader = new FrameReader(adapter);
  const reads = splitAt(bytes, [Math.floor(bytes.length / 3), Math.floor((2 * bytes.length) / 3)]);
  const batches = reads.map((read) => [...reader.push(read).chunks]);
  batches.push([...reader.finish().chunks]);
  return batches.filter((b) => b.length > 0);
}

async function record(batches: UpstreamChunk[][]): Promise<{ recorder: AnswerRecorder; stream: ReplayedStream }> {
  const recorder = new AnswerRecorder();
  const stream = new ReplayedStream(batches);
  await stream.pipe({ chunks: (chunks) => void recorder.push(chunks) });
  return { recorder, stream };
}

describe("AnswerRecorder", () => {
  it("keeps a complete stream as its reads, and replays it frame for frame after a JSON round trip", async () => {
    const batches = liveBatches();
    const { recorder, stream } = await record(batches);
    const stored = JSON.parse(JSON.stringify(recorder.answer({ kind: "stream", api: "openai-chat", stream, ttftMs: 1 }))) as RecordedAnswer;

    const request = openaiChatCodec.parseRequest({ model: "r", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
    const replay = replayAnswer(request, stored, new AbortController().signal);
    if (replay.kind !== "stream") throw new Error("expected a stream");
    const writes: string[][] = [];
    await replay.stream.pipe({ chunks: (chunks) => void writes.push(chunks.map((c) => c.raw)) });
    expect(writes).toEqual(batches.map((b) => b.map((c) => c.raw)));
    expect(replay.api).toBe("openai-chat");
  });

  it("answers a non-streaming request from a recorded stream with the same content and usage", async () => {
    const { recorder, stream } = await record(liveBatches());
    const stored = recorder.answer({ kind: "stream", api: "openai-chat", stream, ttftMs: 1 })!;
    const request = openaiChatCodec.parseRequest({ model: "r", messages: [{ role: "user", content: "hi" }] });
    const replay = replayAnswer(request, stored, new AbortController().signal);
    if (replay.kind !== "response") throw new Error("expected a response");
    const expected = expectedFromChatChunks(payloads);
    expect(replay.response.choices[0]!.toolCalls).toEqual(expected.choices[0]!.toolCalls);
    expect(replay.response.choices[0]!.finishReason).toBe("tool_calls");
    expect(replay.response.usage?.outputTokens).toBe(expected.usage!.outputTokens);
  });

  it("hands out nothing for a stream that did not complete", async () => {
    const recorder = new AnswerRecorder();
    const cut = new AbortController();
    const stream = new ReplayedStream(liveBatches(), cut.signal);
    const relayed = stream.pipe({
      chunks: (chunks) => {
        recorder.push(chunks);
        cut.abort(new Error("client gone"));
        return undefined;
      },
    });
    await expect(relayed).rejects.toThrow("client gone");
    expect(recorder.answer({ kind: "stream", api: "openai-chat", stream, ttftMs: 1 })).toBeUndefined();
  });
});
