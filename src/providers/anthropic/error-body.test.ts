import { describe, expect, it } from "vitest";
import { UpstreamHttpError } from "../../errors/upstream-errors.js";
import { createAnthropicAdapter } from "./adapter.js";
import { parseAnthropicErrorBody } from "./error-body.js";

describe("parseAnthropicErrorBody", () => {
  it("reads Anthropic's error shape", () => {
    const text = JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" }, request_id: "req_1" });
    expect(parseAnthropicErrorBody(text, 529)).toEqual({ message: "Overloaded", type: "overloaded_error" });
    expect(createAnthropicAdapter({ baseURL: "http://x/v1", version: "v", headers: {}, defaultMaxTokens: 1 }).parseError(529, text)).toEqual({ message: "Overloaded", type: "overloaded_error" });
  });

  it("falls back to the status, and to the raw text of other bodies", () => {
    expect(parseAnthropicErrorBody(JSON.stringify({ type: "error", error: { type: "api_error" } }), 500)).toEqual({ message: "Upstream returned 500.", type: "api_error" });
    expect(parseAnthropicErrorBody("<html>bad gateway</html>", 502)).toEqual({ message: "Upstream returned 502: <html>bad gateway</html>" });
    expect(parseAnthropicErrorBody("", 503)).toEqual({ message: "Upstream returned 503." });
  });

  it("529 overloaded is a retryable upstream failure; 400 is the client's", () => {
    const overloaded = new UpstreamHttpError(529, "Overloaded", undefined, parseAnthropicErrorBody(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }), 529));
    expect(overloaded).toMatchObject({ retryable: true, fallbackable: true, status: 502 });
    const invalid = new UpstreamHttpError(
      400,
      "max_tokens: Field required",
      undefined,
      parseAnthropicErrorBody(JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "max_tokens: Field required" } }), 400),
    );
    expect(invalid).toMatchObject({ retryable: false, fallbackable: false, status: 400, type: "invalid_request_error" });
  });
});
