import { describe, expect, it } from "vitest";
import { loadJson, loadText } from "../../../test/support/fixtures.js";
import { expectedFromGemini } from "../../../test/support/gemini-fixtures.js";
import { UpstreamHttpError, UpstreamProtocolError } from "../../errors/upstream-errors.js";
import { createGoogleAdapter } from "./adapter.js";
import { parseGeminiErrorBody } from "./error-body.js";
import { signatureFromId } from "./thought-signature.js";

const adapter = createGoogleAdapter({ baseURL: "http://127.0.0.1:1/v1beta", apiKey: "k", headers: {} });

describe("Gemini generateContent bodies", () => {
  it.each(["google/google-text.json", "google/google-tool-call.json", "google/google-reasoning.json", "google/google-reasoning-gemini3.json", "google/google-tool-call-gemini3.json"])(
    "%s",
    (fixture) => {
      const body = loadJson(fixture);
      const expected = expectedFromGemini([body]);
      const parsed = adapter.parseResponse(body);
      expect(parsed.id).toBe(expected.responseId);
      expect(parsed.model).toBe(expected.modelVersion);
      expect(parsed.usage).toEqual(expected.usage);
      expect(parsed.choices).toHaveLength(expected.candidates.length);
      for (const c of expected.candidates) {
        const got = parsed.choices.find((p) => p.index === c.index)!;
        expect(got.text).toBe(c.calls.length > 0 && c.text === "" ? null : c.text);
        expect(got.reasoning ?? "").toBe(c.reasoning);
        expect((got.toolCalls ?? []).map((t) => ({ name: t.name, arguments: t.arguments }))).toEqual(c.calls.map(({ name, arguments: args }) => ({ name, arguments: args })));
        // A signed call carries its thought signature in its id, for the next turn.
        for (const [i, t] of (got.toolCalls ?? []).entries()) expect(signatureFromId(t.id)).toBe(c.calls[i]!.thoughtSignature);
        expect(got.finishReason).toBe(c.calls.length > 0 ? "tool_calls" : "stop");
      }
    },
  );

  it("google-text.json: thoughts are output and reasoning", () => {
    expect(adapter.parseResponse(loadJson("google/google-text.json")).usage).toEqual({
      inputTokens: 9,
      outputTokens: 28 + 244,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 244,
      source: "reported",
    });
  });

  it("a tool call's id is the same every time the answer is read", () => {
    const a = adapter.parseResponse(loadJson("google/google-tool-call.json")).choices[0]!.toolCalls![0]!;
    const b = adapter.parseResponse(loadJson("google/google-tool-call.json")).choices[0]!.toolCalls![0]!;
    expect(a.id).toMatch(/^call_[0-9a-f]{24}__ts_[A-Za-z0-9_-]+$/);
    expect(a.id).toBe(b.id);
  });

  it("a body without candidates is malformed, unless the prompt was blocked", () => {
    expect(() => adapter.parseResponse({ usageMetadata: {} })).toThrow(UpstreamProtocolError);
    expect(adapter.parseResponse({ promptFeedback: { blockReason: "SAFETY" } }).choices).toEqual([{ index: 0, text: null, finishReason: "content_filter" }]);
  });
});

describe("Gemini errors", () => {
  it("google-429-retry-info.json: the message, RESOURCE_EXHAUSTED, and RetryInfo's 34.4s", () => {
    const text = loadText("google/google-429-retry-info.json");
    const json = JSON.parse(text) as { error: { message: string; details: Array<{ retryDelay?: string }> } };
    const delay = json.error.details.find((d) => d.retryDelay)!.retryDelay!;
    const fields = adapter.parseError(429, text);
    expect(fields).toEqual({ message: json.error.message, type: "RESOURCE_EXHAUSTED", code: "resource_exhausted", retryAfterMs: Number.parseFloat(delay) * 1000 });
    const err = new UpstreamHttpError(429, fields.message, fields.retryAfterMs, fields);
    expect(err).toMatchObject({ status: 429, code: "upstream_rate_limited", retryable: true, retryAfterSeconds: 35 });
  });

  it("a 400 keeps Google's status as its code and the field it names", () => {
    const text = JSON.stringify({
      error: {
        code: 400,
        message: "Invalid JSON payload",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "contents[0].parts", description: "x" }] }],
      },
    });
    expect(parseGeminiErrorBody(text, 400)).toEqual({ message: "Invalid JSON payload", type: "INVALID_ARGUMENT", code: "invalid_argument", param: "contents[0].parts" });
    expect(parseGeminiErrorBody("upstream exploded", 503)).toEqual({ message: "Upstream returned 503: upstream exploded" });
    expect(parseGeminiErrorBody(`[${JSON.stringify({ error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } })}]`, 503).message).toBe("overloaded");
  });
});
