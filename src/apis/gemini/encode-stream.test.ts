import { describe, expect, it } from "vitest";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { StreamEvent } from "../../spec/stream-events.js";
import { translatingGeminiEncoder } from "./encode-stream.js";

const request: CanonicalRequest = { model: "route", messages: [], stream: true, includeUsage: true, inbound: { api: "gemini", body: {} } };
const chunk = (...events: StreamEvent[]) => ({ raw: "", events });
const payloads = (text: string) =>
  text
    .split("\n\n")
    .filter(Boolean)
    .map((f) => JSON.parse(f.replace(/^data: /, "")) as Record<string, unknown>);

describe("Gemini stream from canonical events", () => {
  it("sends text as it comes and each function call whole at the end, with the finish and usage", () => {
    const encoder = translatingGeminiEncoder(request);
    let out = encoder.chunk(chunk({ type: "response-start", id: "r1", model: "up-model", created: 0 }, { type: "reasoning-delta", choice: 0, text: "hmm" }));
    out += encoder.chunk(chunk({ type: "text-delta", choice: 0, text: "Hel" }, { type: "text-delta", choice: 0, text: "lo" }));
    out += encoder.chunk(chunk({ type: "tool-call-delta", choice: 0, index: 0, id: "call_a", name: "weather", argumentsDelta: '{"ci' }));
    out += encoder.chunk(chunk({ type: "tool-call-delta", choice: 0, index: 0, argumentsDelta: 'ty":"Paris"}' }, { type: "finish", choice: 0, reason: "tool_calls" }));
    out += encoder.chunk(chunk({ type: "usage", usage: { inputTokens: 10, outputTokens: 7, reasoningTokens: 2, cachedInputTokens: 4, cacheWriteTokens: 0, source: "reported" } }));
    out += encoder.end();
    expect(payloads(out)).toEqual([
      { candidates: [{ content: { role: "model", parts: [{ text: "hmm", thought: true }] }, index: 0 }], modelVersion: "up-model", responseId: "r1" },
      { candidates: [{ content: { role: "model", parts: [{ text: "Hel" }, { text: "lo" }] }, index: 0 }], modelVersion: "up-model", responseId: "r1" },
      {
        candidates: [{ content: { role: "model", parts: [{ functionCall: { id: "call_a", name: "weather", args: { city: "Paris" } } }] }, finishReason: "STOP", index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 2, cachedContentTokenCount: 4, totalTokenCount: 17 },
        modelVersion: "up-model",
        responseId: "r1",
      },
    ]);
  });

  it("a cut answer says MAX_TOKENS; a candidate with nothing left carries only its finish", () => {
    const encoder = translatingGeminiEncoder(request);
    const out = encoder.chunk(chunk({ type: "text-delta", choice: 0, text: "a" }, { type: "finish", choice: 0, reason: "length" })) + encoder.end();
    const last = payloads(out).at(-1)!;
    expect(last.candidates).toEqual([{ finishReason: "MAX_TOKENS", index: 0 }]);
    expect(last.modelVersion).toBe("route");
  });

  it("a tool loop's step rides on a response without candidates", () => {
    const encoder = translatingGeminiEncoder(request);
    const frame = encoder.chunk(chunk({ type: "extension", name: "tool_step", data: { step: 1, calls: [] } }));
    expect(payloads(frame)).toMatchObject([{ candidates: [], tollgate: { type: "tool_step", step: 1, calls: [] }, modelVersion: "route" }]);
  });

  it("an error after the first byte is Google's error object", () => {
    const encoder = translatingGeminiEncoder(request);
    const frame = encoder.error({ status: 504, headers: {}, body: { error: { message: "Upstream timed out.", type: "timeout_error", code: "upstream_timeout", param: null } } });
    expect(payloads(frame)).toEqual([
      {
        error: {
          code: 504,
          message: "Upstream timed out.",
          status: "DEADLINE_EXCEEDED",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "upstream_timeout", domain: "tollgate", metadata: {} }],
        },
      },
    ]);
  });
});
