import { describe, expect, it } from "vitest";
import { expectedFromAnthropicResponse } from "../../../test/support/anthropic-expected.js";
import { listFixtures, loadJson } from "../../../test/support/fixtures.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalResponse } from "../../spec/canonical-response.js";
import { createAnthropicAdapter } from "./adapter.js";
import { parseMessagesResponse } from "./messages-response.js";
import { mapAnthropicStopReason } from "./stop-reason.js";

const BODIES = listFixtures("anthropic", ".json");

describe("parseMessagesResponse: recorded bodies", () => {
  it("covers the recordings", () => {
    expect(BODIES).toHaveLength(13);
  });

  it.each(BODIES)("%s", (file) => {
    const body = loadJson(file);
    const e = expectedFromAnthropicResponse(body);
    const expected: CanonicalResponse = {
      id: e.id,
      model: e.model,
      created: 0,
      choices: [
        {
          index: 0,
          text: e.text,
          finishReason: mapAnthropicStopReason(e.stopReason ?? "end_turn"),
          ...(e.reasoning ? { reasoning: e.reasoning } : {}),
          ...(e.toolCalls ? { toolCalls: e.toolCalls } : {}),
        },
      ],
      ...(e.usage ? { usage: e.usage } : {}),
    };
    expect(parseMessagesResponse(body)).toEqual(expected);
    expect(createAnthropicAdapter({ baseURL: "http://x/v1", version: "v", headers: {}, defaultMaxTokens: 1 }).parseResponse(body)).toEqual(expected);
  });
});

describe("parseMessagesResponse: figures from the recordings", () => {
  it("thinking and text", () => {
    const r = parseMessagesResponse(loadJson("anthropic/anthropic-clear-thinking.1.json"));
    expect(r.choices[0]).toEqual({ index: 0, text: "925 ÷ 5 = 185", reasoning: "925 divided by 5 = 185", finishReason: "stop" });
    expect(r.usage).toEqual({ inputTokens: 69, outputTokens: 33, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
  });

  it("a tool call without arguments has arguments {}", () => {
    const r = parseMessagesResponse(loadJson("anthropic/anthropic-tool-no-args.json"));
    expect(r.choices[0]?.toolCalls).toEqual([{ id: "toolu_01LRmxn9vGM1d2DZSDBowdZ1", name: "updateIssueList", arguments: "{}" }]);
    expect(r.choices[0]?.finishReason).toBe("tool_calls");
    expect(r.usage).toMatchObject({ inputTokens: 602, outputTokens: 93 });
  });

  it("a refusal has no text", () => {
    const r = parseMessagesResponse(loadJson("anthropic/anthropic-refusal.json"));
    expect(r.choices[0]).toEqual({ index: 0, text: null, finishReason: "content_filter" });
  });

  it("cache figures are part of the input", () => {
    const r = parseMessagesResponse({
      id: "m",
      model: "c",
      content: [{ type: "text", text: "x" }],
      stop_reason: "max_tokens",
      usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 9 },
    });
    expect(r.usage).toEqual({ inputTokens: 125, outputTokens: 9, cachedInputTokens: 100, cacheWriteTokens: 20, reasoningTokens: 0, source: "reported" });
    expect(r.choices[0]?.finishReason).toBe("length");
  });

  it("rejects bodies that are not messages", () => {
    for (const body of [null, "x", [], {}, { content: null }, { type: "error", error: { type: "api_error", message: "boom" } }]) {
      expect(() => parseMessagesResponse(body)).toThrow(UpstreamProtocolError);
    }
  });
});
