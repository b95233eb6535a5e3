import { describe, expect, it } from "vitest";
import { createGoogleAdapter } from "../providers/google/adapter.js";
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
