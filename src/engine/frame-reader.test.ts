import { describe, expect, it } from "vitest";
import { createGoogleAdapter } from "../providers/google/adapter.js";
import { createOpenAIChatAdapter } from "../providers/openai/adapter.js";
import { sse } from "./test-support/scripted-upstream.js";
import { FrameReader } from "./frame-reader.js";

const gemini = createGoogleAdapter({ baseURL: "http://127.0.0.1:9", apiKey: "test-key", headers: {} });
const frame = (text: string, finishReason?: string) =>
  new TextEncoder().encode(
    `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0, ...(finishReason ? { finishReason } : {}) }], modelVersion: "gemini-test" })}\r\n\r\n`,
  );

describe("FrameReader", () => {
  it("stamps an upstream answer that carries no creation time once, on its first frame", () => {
    const reader = new FrameReader(gemini);
    const before = Math.floor(Date.now() / 1000);
    const [first] = reader.push(frame("Hello")).chunks;
    const after = Math.floor(Date.now() / 1000);
    const start = first!.events.find((e) => e.type === "response-start");
    expect(start?.type === "response-start" && start.created).toBeGreaterThanOrEqual(before);
    expect(start?.type === "response-start" && start.created).toBeLessThanOrEqual(after);
    const rest = reader.push(frame(" world", "STOP")).chunks.flatMap((c) => c.events);
    expect(rest.some((e) => e.type === "response-start")).toBe(false);
  });
});

describe("FrameReader with a relay still to decide (relayLater)", () => {
  const chat = () => createOpenAIChatAdapter({ baseURL: "http://127.0.0.1:9", headers: {}, streamUsageOption: true });
  const texts = (chunks: readonly { events: readonly { type: string; text?: string }[] }[]) => chunks.flatMap((c) => c.events).flatMap((e) => (e.type === "text-delta" ? [e.text] : []));
  // The first content, the next in the same read; then a read that comes before the relay decides, split inside a frame.
  const first = sse.role + sse.text("a") + sse.text("b");
  const next = sse.text("c") + sse.finish + sse.done;
  const cut = next.length - 5;

  it("the frames after the first content wait, reads that follow too; taken unread, the content ones stay unparsed", () => {
    const reader = new FrameReader(chat());
    reader.relayLater();
    const read = reader.push(Buffer.from(first));
    expect(texts(read.chunks)).toEqual(["a"]);
    expect(Buffer.from(read.bytes!).toString()).toBe(sse.role + sse.text("a"));
    expect(reader.push(Buffer.from(next.slice(0, cut)))).toMatchObject({ chunks: [], unread: 0 });
    expect(reader.relayAs(true)).toBe(true);
    const waited = reader.waited();
    expect(waited.unread).toBe(2);
    expect(texts(waited.chunks)).toEqual([]);
    expect(waited.chunks.flatMap((c) => c.events).some((e) => e.type === "finish")).toBe(true);
    expect(Buffer.from(waited.bytes!).toString()).toBe(sse.text("b") + sse.text("c") + sse.finish);
    expect(reader.waited().chunks).toEqual([]);
    // The frame the last read left unfinished ends in the next: the end marker.
    reader.push(Buffer.from(next.slice(cut)));
    expect(reader.ended).toBe(true);
    reader.finish();
    expect(reader.failure).toBeUndefined();
  });

  it("taken parsed, every frame that waited is parsed, in order", () => {
    const reader = new FrameReader(chat());
    reader.relayLater();
    reader.push(Buffer.from(first));
    reader.push(Buffer.from(next.slice(0, cut)));
    expect(reader.relayAs(false)).toBe(false);
    const waited = reader.waited();
    expect(texts(waited.chunks)).toEqual(["b", "c"]);
    expect(waited.bytes).toBeUndefined();
    reader.push(Buffer.from(next.slice(cut)));
    expect(reader.ended).toBe(true);
  });
});

describe("FrameReader: frames decoded from the read's latin1 text when ASCII", () => {
  const chat = () => createOpenAIChatAdapter({ baseURL: "http://127.0.0.1:9", headers: {}, streamUsageOption: true });
  const texts = (chunks: readonly { events: readonly { type: string; text?: string }[] }[]) => chunks.flatMap((c) => c.events).flatMap((e) => (e.type === "text-delta" ? [e.text] : []));
  const words = ["plain", "déjà vu", "日本語", "emoji 🎉", 'tab\tand "quotes"'];

  it("every frame's text is the same whether its read is ASCII, mixed, or cut inside a character", () => {
    const stream = Buffer.from(sse.role + words.map(sse.text).join("") + sse.finish + sse.done);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const reader = new FrameReader(chat());
      const chunks = [...reader.push(stream.subarray(0, cut)).chunks, ...reader.push(stream.subarray(cut)).chunks];
      expect(texts(chunks)).toEqual(words);
      expect(chunks.flatMap((c) => c.events).some((e) => e.type === "finish")).toBe(true);
      expect(reader.ended).toBe(true);
    }
  });

  it("relayed unread, a read with other scripts in its content still has its ASCII frames parsed (the first content, the finish)", () => {
    const reader = new FrameReader(chat());
    reader.relayLater();
    const first = reader.push(Buffer.from(sse.role + sse.text("é") + sse.text("ü") + sse.finish + sse.done));
    expect(texts(first.chunks)).toEqual(["é"]);
    reader.relayAs(true);
    const waited = reader.waited();
    expect(waited.unread).toBe(1);
    expect(waited.chunks.flatMap((c) => c.events).some((e) => e.type === "finish")).toBe(true);
    expect(reader.ended).toBe(true);
  });
});
