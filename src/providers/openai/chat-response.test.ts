import { describe, expect, it } from "vitest";
import { expectedFromChatResponse, listFixtures, loadJson, type ExpectedChatResponse } from "../../../test/support/fixtures.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { createOpenAIChatAdapter } from "./adapter.js";
import { parseChatResponse } from "./chat-response.js";

const BODIES = ["openai-chat/openai-text.json", ...listFixtures("deepseek", ".json"), ...listFixtures("mistral", ".json"), "openai-compatible/xai-tool-call.json"];

/** The expected value in CanonicalResponse form (the recordings only use finish reasons that are canonical as they are). */
function canonical(expected: ExpectedChatResponse): CanonicalResponse {
  const response: CanonicalResponse = {
    id: expected.id,
    model: expected.model,
    created: expected.created,
    choices: expected.choices.map((c) => ({ ...c, finishReason: (c.finishReason ?? "stop") as CanonicalResponse["choices"][number]["finishReason"] })),
  };
  if (expected.usage) response.usage = expected.usage;
  return response;
}

describe("parseChatResponse: recorded bodies", () => {
  it("covers the expected recordings", () => {
    expect(BODIES).toEqual(
      expect.arrayContaining(["deepseek/deepseek-reasoning.json", "deepseek/deepseek-text.json", "deepseek/deepseek-tool-call.json", "mistral/mistral-text.json", "mistral/mistral-tool-call.json"]),
    );
  });

  it.each(BODIES)("%s", (file) => {
    const body = loadJson(file);
    expect(parseChatResponse(body)).toEqual(canonical(expectedFromChatResponse(body)));
  });

  it("the adapter parses with the same function", () => {
    const adapter = createOpenAIChatAdapter({ baseURL: "http://127.0.0.1:1/v1", headers: {}, streamUsageOption: false });
    const body = loadJson("mistral/mistral-tool-call.json");
    expect(adapter.parseResponse(body)).toEqual(parseChatResponse(body));
  });
});

/** The providers' own figures, spelled out. */
describe("parseChatResponse: figures from the recordings", () => {
  it("DeepSeek reasoning: reasoning text and reasoning tokens", () => {
    const r = parseChatResponse(loadJson("deepseek/deepseek-reasoning.json"));
    expect(r.choices[0]?.reasoning?.startsWith("We are asked")).toBe(true);
    expect(r.choices[0]?.text?.startsWith('The word "strawberry"')).toBe(true);
    expect(r.usage).toEqual({ inputTokens: 18, outputTokens: 345, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 315, source: "reported" });
  });

  it("DeepSeek tool call: id, name, arguments, cache hits", () => {
    const r = parseChatResponse(loadJson("deepseek/deepseek-tool-call.json"));
    expect(r.choices[0]?.toolCalls).toEqual([{ id: "call_00_9V0vrf86Pc9aelHCJMZqnJBo", name: "weather", arguments: '{"location": "San Francisco"}' }]);
    expect(r.choices[0]?.finishReason).toBe("tool_calls");
    expect(r.usage).toMatchObject({ inputTokens: 339, outputTokens: 92, cachedInputTokens: 320, reasoningTokens: 48 });
  });

  it("Mistral tool call: no content field gives null text", () => {
    const r = parseChatResponse(loadJson("mistral/mistral-tool-call.json"));
    expect(r.choices[0]?.text).toBeNull();
    expect(r.choices[0]?.toolCalls).toEqual([{ id: "gSIMJiOkT", name: "weather", arguments: '{"location": "San Francisco"}' }]);
    expect(r.usage).toEqual({ inputTokens: 124, outputTokens: 22, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
  });

  it("Mistral text: tool_calls null and non-ASCII text", () => {
    const r = parseChatResponse(loadJson("mistral/mistral-text.json"));
    expect(r.choices[0]?.toolCalls).toBeUndefined();
    expect(r.choices[0]?.text?.endsWith("\u{1F60A}")).toBe(true);
  });

  it("OpenAI text", () => {
    const r = parseChatResponse(loadJson("openai-chat/openai-text.json"));
    expect(r).toMatchObject({ id: "chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU", model: "gpt-4.1-nano-2025-04-14", created: 1770933883 });
    expect(r.usage).toMatchObject({ inputTokens: 16, outputTokens: 363 });
  });
});

describe("parseChatResponse: edge cases", () => {
  it("rejects bodies without a choices array", () => {
    for (const body of [null, undefined, "text", 42, [], {}, { choices: null }, loadJson("openai-chat/reasoning-model-legacy-parameter-error.json")]) {
      expect(() => parseChatResponse(body)).toThrow(UpstreamProtocolError);
    }
  });

  it("fills defaults for missing fields", () => {
    expect(parseChatResponse({ choices: [{ message: { content: "x" } }, {}] })).toEqual({
      id: "",
      model: "",
      created: 0,
      choices: [
        { index: 0, text: "x", finishReason: "stop" },
        { index: 1, text: null, finishReason: "stop" },
      ],
    });
  });

  it("maps finish reasons", () => {
    const reason = (finish_reason: string) => parseChatResponse({ choices: [{ index: 0, message: { content: "" }, finish_reason }] }).choices[0]?.finishReason;
    expect(reason("length")).toBe("length");
    expect(reason("content_filter")).toBe("content_filter");
    expect(reason("function_call")).toBe("tool_calls");
    expect(reason("something_new")).toBe("other");
  });

  it("omits empty reasoning and empty tool call lists", () => {
    const choice = parseChatResponse({ choices: [{ index: 0, message: { content: "a", reasoning_content: "", tool_calls: [] }, finish_reason: "stop" }] }).choices[0];
    expect(choice).toEqual({ index: 0, text: "a", finishReason: "stop" });
  });
});
