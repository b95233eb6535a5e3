import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FrameRewrite, UpstreamChunk } from "../spec/stream-events.js";
import { advance, type BodyStep, chatRequest, scriptedProvider, sse, TIMEOUTS, turns, useFakeClock } from "./test-support/scripted-upstream.js";
import type { Timeouts } from "../config/resolve.js";
import { type OpenedUpstream, openUpstream } from "./upstream-attempt.js";
import type { UpstreamStream } from "./upstream-stream.js";
import { usageOf } from "./final-usage.js";
import { countTextTokens } from "../usage/tokenizer.js";

beforeEach(useFakeClock);
afterEach(() => vi.useRealTimers());

/** Opens a streamed attempt whose body plays `body`; its outcome settles either way. */
function open(body: BodyStep[], options: { headersAfterMs?: number; timeouts?: Partial<Timeouts> } = {}) {
  const provider = scriptedProvider("a", [{ body, ...(options.headersAfterMs ? { headersAfterMs: options.headersAfterMs } : {}) }]);
  let settled: { value: OpenedUpstream } | { error: unknown } | undefined;
  void openUpstream(provider, chatRequest(true), "m", { ...TIMEOUTS, ...options.timeouts }, new AbortController().signal).then(
    (value) => (settled = { value }),
    (error: unknown) => (settled = { error }),
  );
  return { provider, settled: () => settled };
}

function streamOf(settled: { value: OpenedUpstream } | { error: unknown } | undefined): UpstreamStream {
  if (!settled || !("value" in settled) || settled.value.kind !== "stream") throw new Error(`expected an open stream, got ${JSON.stringify(settled)}`);
  return settled.value.stream as UpstreamStream;
}

/** Pipes the stream into an array of text deltas; the pipe's outcome settles either way. */
function relay(stream: UpstreamStream, wait?: () => Promise<void>) {
  const texts: string[] = [];
  let outcome: { done: true } | { error: unknown } | undefined;
  const consumer = {
    chunks(chunks: readonly UpstreamChunk[]) {
      for (const e of chunks.flatMap((c) => c.events)) if (e.type === "text-delta") texts.push(e.text);
      return wait?.();
    },
  };
  void stream.pipe(consumer).then(
    () => (outcome = { done: true }),
    (error: unknown) => (outcome = { error }),
  );
  return { texts, outcome: () => outcome };
}

describe("the commit point", () => {
  it("holds frames without content: open() resolves only at the first content, which is then relayed first", async () => {
    const run = open([{ text: sse.role }, { text: sse.text("Hi"), afterMs: 1_000 }, { text: sse.finish }, { text: sse.done }, { end: true }]);
    await advance(999);
    expect(run.settled()).toBeUndefined();
    await advance(1);
    const stream = streamOf(run.settled());
    expect(stream.tap.started).toBe(true);
    const piped = relay(stream);
    await turns();
    expect(piped.texts).toEqual(["Hi"]);
    expect(piped.outcome()).toEqual({ done: true });
    expect(stream.outcome).toBe("complete");
  });

  it("a failure in the same read as the first content: the content goes out, then the failure, inside the stream", async () => {
    const run = open([{ text: `${sse.role}${sse.text("Hel")}data: {"error":{"message":"overloaded"}}\n\n` }]);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relay(stream);
    await turns();
    expect(piped.texts).toEqual(["Hel"]);
    expect(piped.outcome()).toMatchObject({ error: { message: expect.stringContaining("overloaded") } });
    expect(stream.outcome).toBe("failed");
  });

  it("a frame split across the read that commits and the next is relayed whole, as frames or as the bytes", async () => {
    const b = sse.text("b");
    const body = (): BodyStep[] => [{ text: sse.role + sse.text("a") + b.slice(0, 10) }, { text: b.slice(10) + sse.finish + sse.done }, { end: true }];
    const parsed = open(body());
    await turns();
    const piped = relay(streamOf(parsed.settled()));
    await turns();
    expect(piped.texts).toEqual(["a", "b"]);
    expect(piped.outcome()).toEqual({ done: true });
    const unread = open(body());
    await turns();
    const bytes = relayBytes(streamOf(unread.settled()));
    await turns();
    expect(bytes.text()).toBe(sse.role + sse.text("a") + b + sse.finish);
    expect(bytes.outcome()).toEqual({ done: true });
  });

  it("a stream cut before its end marker fails, after what came", async () => {
    const run = open([{ text: sse.role }, { text: sse.text("Hel") }, { end: true, afterMs: 10 }]);
    await turns();
    const piped = relay(streamOf(run.settled()));
    await advance(10);
    expect(piped.texts).toEqual(["Hel"]);
    expect(piped.outcome()).toMatchObject({ error: { code: "upstream_connection_error" } });
  });
});

describe("stream timeouts", () => {
  it("first byte: measured from the start of the attempt, headers included", async () => {
    const run = open([{ text: sse.role }], { headersAfterMs: 1_000 });
    await advance(TIMEOUTS.firstTokenMs - 1);
    expect(run.settled()).toBeUndefined();
    await advance(1);
    expect(run.settled()).toMatchObject({ error: { code: "upstream_timeout", phase: "first_token" } });
  });

  it("idle: a gap longer than the limit after content fails the stream; each frame restarts the limit", async () => {
    const steps: BodyStep[] = [{ text: sse.role }, { text: sse.text("a") }];
    for (const t of ["b", "c", "d"]) steps.push({ text: sse.text(t), afterMs: TIMEOUTS.idleMs - 1 });
    const run = open(steps);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relay(stream);
    await advance(3 * (TIMEOUTS.idleMs - 1));
    expect(piped.texts).toEqual(["a", "b", "c", "d"]);
    expect(piped.outcome()).toBeUndefined();
    await advance(TIMEOUTS.idleMs - 1);
    expect(piped.outcome()).toBeUndefined();
    await advance(1);
    expect(piped.outcome()).toMatchObject({ error: { code: "upstream_timeout", phase: "idle", details: { limitMs: TIMEOUTS.idleMs } } });
    expect(stream.outcome).toBe("failed");
    expect(run.provider.transport.destroyed).toBe(1);
  });

  it("idle: a slow client is not a silent upstream", async () => {
    const run = open([{ text: sse.role }, { text: sse.text("a") }, { text: sse.text("b"), afterMs: 10 }, { text: sse.finish }, { text: sse.done }, { end: true }]);
    await turns();
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const piped = relay(streamOf(run.settled()), () => slow);
    await advance(3 * TIMEOUTS.idleMs);
    expect(piped.outcome()).toBeUndefined();
    release();
    await advance(10);
    expect(piped.texts).toEqual(["a", "b"]);
    expect(piped.outcome()).toEqual({ done: true });
  });

  it("total: a stream that never pauses long enough for idle still ends at the total limit", async () => {
    const steps: BodyStep[] = [{ text: sse.role }, { text: sse.text("0") }];
    for (let i = 1; i < 20; i++) steps.push({ text: sse.text(String(i)), afterMs: 1_000 });
    const run = open(steps, { timeouts: { totalMs: 5_500 } });
    await turns();
    const piped = relay(streamOf(run.settled()));
    await advance(5_499);
    expect(piped.outcome()).toBeUndefined();
    await advance(1);
    expect(piped.outcome()).toMatchObject({ error: { code: "upstream_timeout", phase: "total" } });
    expect(piped.texts).toEqual(["0", "1", "2", "3", "4", "5"]);
  });
});

/** Pipes the stream to a consumer that takes the upstream's bytes (and must get no frames), rewritten if `rewrite`; the pipe's outcome settles either way. */
function relayBytes(stream: UpstreamStream, wait?: () => Promise<void>, rewrite?: FrameRewrite) {
  const writes: Buffer[] = [];
  let outcome: { done: true } | { error: unknown } | undefined;
  const consumer = {
    chunks(): undefined {
      throw new Error("offered the bytes, the stream sent frames");
    },
    bytes(bytes: Uint8Array) {
      writes.push(Buffer.from(bytes));
      return wait?.();
    },
    ...(rewrite ? { rewrite } : {}),
  };
  void stream.pipe(consumer).then(
    () => (outcome = { done: true }),
    (error: unknown) => (outcome = { error }),
  );
  return { writes, text: () => Buffer.concat(writes).toString("utf8"), outcome: () => outcome };
}

const usageFrame = 'data: {"id":"c1","model":"m","created":1,"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}\n\n';

describe("relaying the upstream's bytes (the client speaks the upstream's format and asked for usage)", () => {
  it("frames go out byte for byte, one write per read, a frame and a character split across reads included; usage comes from the last chunk", async () => {
    const head = Buffer.from(sse.role + sse.text("Hé"));
    const wire = Buffer.concat([head, Buffer.from(sse.text("🌍 wide") + sse.text("!") + sse.finish + usageFrame + sse.done)]);
    // Inside the 🌍 (4 bytes in UTF-8), then inside the "!" frame.
    const cuts = [head.length, wire.indexOf(Buffer.from("🌍")) + 2, wire.indexOf(Buffer.from(sse.text("!"))) + 10, wire.length];
    const run = open([...cuts.map((end, i) => ({ bytes: wire.subarray(i === 0 ? 0 : cuts[i - 1], end) })), { end: true }]);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relayBytes(stream);
    await turns();
    expect(piped.outcome()).toEqual({ done: true });
    // [DONE] is the relay's encoder to write; everything before it is the upstream's own bytes.
    expect(Buffer.concat(piped.writes).equals(wire.subarray(0, wire.length - sse.done.length))).toBe(true);
    // What was held up to the first content leaves at once; the read that ended inside 🌍 completed no frame.
    expect(piped.writes.map((w) => w.toString("utf8"))).toEqual([head.toString("utf8"), sse.text("🌍 wide"), sse.text("!") + sse.finish + usageFrame]);
    expect(stream.tap.reported).toEqual({ inputTokens: 5, outputTokens: 3, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
    expect(stream.tap.output().join("")).toBe("Hé🌍 wide!");
    expect(stream.outcome).toBe("complete");
  });

  it("cut after content: the failure comes inside the stream, and the output is counted from the bytes relayed", async () => {
    const run = open([{ text: sse.role + sse.text("Hello") }, { text: sse.text(" there, friend") }, { end: true, afterMs: 10 }]);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relayBytes(stream);
    await advance(10);
    expect(piped.text()).toBe(sse.role + sse.text("Hello") + sse.text(" there, friend"));
    expect(piped.outcome()).toMatchObject({ error: { code: "upstream_connection_error" } });
    expect(stream.tap.reported).toBeUndefined();
    const usage = usageOf(chatRequest(true), { kind: "stream", api: "openai-chat", stream, ttftMs: 0 });
    expect(usage).toMatchObject({ source: "estimated", outputTokens: countTextTokens("Hello there, friend") });
  });

  it("an error frame mid-stream: the frames before it go out, it does not, and the stream fails with it", async () => {
    const run = open([{ text: sse.role + sse.text("Hel") }, { text: `${sse.text("lo")}data: {"error":{"message":"overloaded"}}\n\n${sse.text("never")}` }]);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relayBytes(stream);
    await turns();
    expect(piped.text()).toBe(sse.role + sse.text("Hel") + sse.text("lo"));
    expect(piped.outcome()).toMatchObject({ error: { message: expect.stringContaining("overloaded") } });
    expect(stream.outcome).toBe("failed");
  });

  it("a slow client pauses the upstream, and the idle limit waits with it", async () => {
    const run = open([{ text: sse.role + sse.text("a") }, { text: sse.text("b"), afterMs: 10 }, { text: sse.finish + usageFrame + sse.done }, { end: true }]);
    await turns();
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const piped = relayBytes(streamOf(run.settled()), () => slow);
    await advance(3 * TIMEOUTS.idleMs);
    // "b" went out and was not taken yet: nothing more is read.
    expect(piped.text()).toBe(sse.role + sse.text("a") + sse.text("b"));
    expect(piped.outcome()).toBeUndefined();
    release();
    await advance(10);
    expect(piped.text()).toBe(sse.role + sse.text("a") + sse.text("b") + sse.finish + usageFrame);
    expect(piped.outcome()).toEqual({ done: true });
  });

  it("a client that leaves stops the upstream", async () => {
    const run = open([{ text: sse.role + sse.text("a") }, { text: sse.text("b"), afterMs: 10 }]);
    await turns();
    const stream = streamOf(run.settled());
    relayBytes(stream);
    await advance(10);
    stream.dispose();
    expect(stream.outcome).toBe("cancelled");
    expect(run.provider.transport.destroyed).toBe(1);
  });
});

describe("a short answer that arrives with its first content (what follows waits for the relay to say how it takes it)", () => {
  const head = sse.role + sse.text("Hel");
  const rest = sse.text("lo") + sse.text(" there") + sse.finish + usageFrame;

  /** Opens the answer as one read, counting the frames its provider parses, by their payload. */
  async function openWhole(text: string) {
    const run = open([{ text }, { end: true }]);
    const parsed: string[] = [];
    const parse = run.provider.adapter.parseStreamMessage.bind(run.provider.adapter);
    run.provider.adapter.parseStreamMessage = (message, first) => {
      parsed.push(message.data);
      return parse(message, first);
    };
    await turns();
    return { stream: streamOf(run.settled()), parsed };
  }
  const payload = (frame: string) => frame.slice("data: ".length, -2);

  it("relayed unread: the content after the first goes out unparsed, in the one write of its read; usage, finish and the end are read", async () => {
    const { stream, parsed } = await openWhole(head + rest + sse.done);
    const piped = relayBytes(stream);
    await turns();
    expect(piped.outcome()).toEqual({ done: true });
    expect(piped.writes.map((w) => w.toString("utf8"))).toEqual([head + rest]);
    expect(parsed).toEqual([sse.role, sse.text("Hel"), sse.finish, usageFrame, sse.done].map(payload));
    expect(stream.tap.reported).toMatchObject({ inputTokens: 5, outputTokens: 3, source: "reported" });
    // The journal's progress and an estimate read the text from the bytes.
    expect(stream.tap.output().join("")).toBe("Hello there");
  });

  it("relayed as frames (a recorder, a rewrite): every frame is parsed, in one batch", async () => {
    const { stream, parsed } = await openWhole(head + rest + sse.done);
    const piped = relay(stream);
    await turns();
    expect(piped.outcome()).toEqual({ done: true });
    expect(piped.texts).toEqual(["Hel", "lo", " there"]);
    expect(parsed).toEqual([head, rest, sse.done].flatMap((t) => t.split("\n\n").filter(Boolean)).map((f) => f.slice("data: ".length)));
    expect(stream.tap.output().join("")).toBe("Hello there");
  });

  it("an error frame after the first content in the same read: what came before goes out, then the failure", async () => {
    const { stream } = await openWhole(`${head}${sse.text("lo")}data: {"error":{"message":"overloaded"}}\n\n${sse.text("never")}`);
    const piped = relayBytes(stream);
    await turns();
    expect(piped.text()).toBe(head + sse.text("lo"));
    expect(piped.outcome()).toMatchObject({ error: { message: expect.stringContaining("overloaded") } });
    expect(stream.outcome).toBe("failed");
  });

  it("ended before its end marker, before the relay began: the stream fails after what came, and the output is counted from it", async () => {
    const { stream } = await openWhole(head + sse.text("lo"));
    const piped = relayBytes(stream);
    await turns();
    expect(piped.text()).toBe(head + sse.text("lo"));
    expect(piped.outcome()).toMatchObject({ error: { code: "upstream_connection_error" } });
    expect(usageOf(chatRequest(true), { kind: "stream", api: "openai-chat", stream, ttftMs: 0 })).toMatchObject({ source: "estimated", outputTokens: countTextTokens("Hello") });
  });
});

describe("relaying the upstream's bytes rewritten frame by frame (a same-format client whose frames must change)", () => {
  // Marks each frame with how it was read (its chunk, or passed over unparsed), and drops finish frames: on the frame's text.
  const rewrite: FrameRewrite = (frame, chunk) => (chunk?.events.some((e) => e.type === "finish") ? "" : frame.replace("data: {", `data: {"read":"${chunk ? "parsed" : "unparsed"}",`));
  const marked = (frame: string, read: "parsed" | "unparsed") => frame.replace("data: {", `data: {"read":"${read}",`);

  it("frames held before the relay began, those that waited for it and those after: each rewritten, its bytes kept, a character split across reads whole", async () => {
    const wire = Buffer.from(sse.role + sse.text("Hé") + sse.text("a") + sse.text("🌍") + sse.finish + usageFrame + sse.done);
    // The first read commits at "Hé", with "a" after it (it waits); the next ends inside the 🌍.
    const cuts = [wire.indexOf(Buffer.from(sse.text("🌍"))), wire.indexOf(Buffer.from("🌍")) + 2, wire.length];
    const run = open([...cuts.map((end, i) => ({ bytes: wire.subarray(i === 0 ? 0 : cuts[i - 1], end) })), { end: true }]);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relayBytes(stream, undefined, rewrite);
    await turns();
    expect(piped.outcome()).toEqual({ done: true });
    expect(piped.writes.map((w) => w.toString("utf8"))).toEqual([
      marked(sse.role, "parsed") + marked(sse.text("Hé"), "parsed") + marked(sse.text("a"), "unparsed"),
      marked(sse.text("🌍"), "unparsed") + marked(usageFrame, "parsed"),
    ]);
    expect(stream.tap.reported).toMatchObject({ inputTokens: 5, outputTokens: 3, source: "reported" });
    // The text of the frames passed over is read back from the bytes as they went out.
    expect(stream.tap.output().join("")).toBe("Héa🌍");
  });

  it("a read whose frames the rewrite all leaves out writes nothing, and still moves the idle limit on", async () => {
    const run = open([{ text: sse.role + sse.text("a") }, { text: sse.finish, afterMs: TIMEOUTS.idleMs - 1 }, { text: usageFrame + sse.done, afterMs: TIMEOUTS.idleMs - 1 }, { end: true }]);
    await turns();
    const piped = relayBytes(streamOf(run.settled()), undefined, rewrite);
    await advance(2 * (TIMEOUTS.idleMs - 1));
    expect(piped.outcome()).toEqual({ done: true });
    expect(piped.writes.map((w) => w.toString("utf8"))).toEqual([marked(sse.role, "parsed") + marked(sse.text("a"), "parsed"), marked(usageFrame, "parsed")]);
  });

  it("a frame the rewrite cannot write fails the stream inside it, after the frames before it; the upstream is stopped", async () => {
    const refusing: FrameRewrite = (frame, chunk) => {
      if (frame.includes("never")) throw new Error("cannot rewrite this frame");
      return rewrite(frame, chunk);
    };
    const run = open([{ text: sse.role + sse.text("a") }, { text: sse.text("b") + sse.text("never") + sse.text("c") }]);
    await turns();
    const stream = streamOf(run.settled());
    const piped = relayBytes(stream, undefined, refusing);
    await turns();
    expect(piped.text()).toBe(marked(sse.role, "parsed") + marked(sse.text("a"), "parsed") + marked(sse.text("b"), "unparsed"));
    expect(piped.outcome()).toMatchObject({ error: { message: "cannot rewrite this frame" } });
    expect(stream.outcome).toBe("failed");
    expect(run.provider.transport.destroyed).toBe(1);
  });
});
