import { describe, expect, it } from "vitest";
import { loadText } from "../../../test/support/fixtures.js";
import { createOpenAIChatAdapter } from "./adapter.js";
import { parseOpenAIErrorBody } from "./error-body.js";

describe("parseOpenAIErrorBody", () => {
  it("reads OpenAI's error object (recorded)", () => {
    const text = loadText("openai-chat/reasoning-model-legacy-parameter-error.json");
    expect(parseOpenAIErrorBody(text, 400)).toEqual({
      message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      type: "invalid_request_error",
      param: "max_tokens",
      code: "unsupported_parameter",
    });
  });

  it("is what the adapter's parseError(status, text) returns", () => {
    const adapter = createOpenAIChatAdapter({ baseURL: "http://127.0.0.1:1/v1", headers: {}, streamUsageOption: true });
    const text = loadText("openai-chat/reasoning-model-legacy-parameter-error.json");
    expect(adapter.parseError(400, text)).toEqual(parseOpenAIErrorBody(text, 400));
    expect(adapter.parseError(502, "Bad Gateway").message).toBe("Upstream returned 502: Bad Gateway");
  });

  it("keeps null code and param, drops non-string ones", () => {
    expect(parseOpenAIErrorBody(JSON.stringify({ error: { message: "m", type: "t", code: null, param: null } }), 400)).toEqual({ message: "m", type: "t", code: null, param: null });
    expect(parseOpenAIErrorBody(JSON.stringify({ error: { message: "m", code: 429, param: 1 } }), 429)).toEqual({ message: "m" });
  });

  it("falls back to the status when the error object has no message", () => {
    expect(parseOpenAIErrorBody(JSON.stringify({ error: { type: "server_error" } }), 500)).toEqual({ message: "Upstream returned 500.", type: "server_error" });
  });

  it("reads the looser shapes compatible servers send", () => {
    expect(parseOpenAIErrorBody(JSON.stringify({ error: "model not found" }), 404)).toEqual({ message: "model not found" });
    expect(parseOpenAIErrorBody(JSON.stringify({ message: "Unauthorized", request_id: "x" }), 401)).toEqual({ message: "Unauthorized" });
    expect(parseOpenAIErrorBody(JSON.stringify({ detail: "Not Found" }), 404)).toEqual({ message: "Not Found" });
  });

  it("uses the raw text of non-JSON bodies", () => {
    expect(parseOpenAIErrorBody("<html><body>502 Bad Gateway</body></html>\n", 502)).toEqual({ message: "Upstream returned 502: <html><body>502 Bad Gateway</body></html>" });
    expect(parseOpenAIErrorBody("upstream connect error or disconnect/reset before headers", 503).message).toBe("Upstream returned 503: upstream connect error or disconnect/reset before headers");
  });

  it("truncates long bodies to 200 characters", () => {
    const message = parseOpenAIErrorBody("x".repeat(5000), 500).message;
    expect(message).toBe(`Upstream returned 500: ${"x".repeat(200)}`);
  });

  it("handles empty and whitespace bodies", () => {
    expect(parseOpenAIErrorBody("", 503)).toEqual({ message: "Upstream returned 503." });
    expect(parseOpenAIErrorBody("  \n", 503)).toEqual({ message: "Upstream returned 503." });
  });

  it("handles JSON that is not an object", () => {
    expect(parseOpenAIErrorBody("null", 500)).toEqual({ message: "Upstream returned 500: null" });
    expect(parseOpenAIErrorBody("[1]", 500)).toEqual({ message: "Upstream returned 500: [1]" });
    expect(parseOpenAIErrorBody('"busy"', 503)).toEqual({ message: 'Upstream returned 503: "busy"' });
  });
});
