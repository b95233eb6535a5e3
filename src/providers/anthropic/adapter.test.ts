import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../../apis/openai-chat/parse-request.js";
import { parseMessagesRequest } from "../../apis/anthropic-messages/parse-request.js";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { createAnthropicAdapter } from "./adapter.js";

const adapter = createAnthropicAdapter({ baseURL: "https://api.example.test/v1", apiKey: "sk-ant-secret", version: "2023-06-01", headers: { "anthropic-beta": "x" }, defaultMaxTokens: 4096 });

/** The Messages body built for a Chat Completions request. */
function fromChat(body: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(adapter.buildRequest(parseChatRequest({ model: "route", ...body }), "claude-x").body) as Record<string, unknown>;
}

describe("the Anthropic adapter", () => {
  it("speaks Messages, with an end marker", () => {
    expect(adapter.nativeApi).toBe("anthropic-messages");
    expect(adapter.hasEndMarker).toBe(true);
  });

  it("sends the key, the version and the configured headers to /messages", () => {
    const spec = adapter.buildRequest(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }), "claude-x");
    expect(spec.url).toBe("https://api.example.test/v1/messages");
    expect(spec.headers).toEqual({ "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": "x", "x-api-key": "sk-ant-secret" });
    const keyless = createAnthropicAdapter({ baseURL: "http://x/v1", version: "2023-06-01", headers: {}, defaultMaxTokens: 1 });
    expect(keyless.buildRequest(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }] }), "c").headers["x-api-key"]).toBeUndefined();
  });

  it("forwards a Messages client's body as sent, with the target's model", () => {
    const body = {
      model: "route",
      max_tokens: 100,
      system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
      thinking: { type: "enabled", budget_tokens: 50 },
      tools: [{ type: "web_search_20250305", name: "web_search" }],
      top_k: 3,
      stream: true,
    };
    const spec = adapter.buildRequest(parseMessagesRequest(body), "claude-sonnet-4-5");
    expect(JSON.parse(spec.body)).toEqual({ ...body, model: "claude-sonnet-4-5" });
  });
});

describe("Chat Completions → Messages", () => {
  it("system and developer messages go to `system`; max_tokens defaults to the provider's", () => {
    expect(
      fromChat({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "hi" },
        ],
      }),
    ).toEqual({
      model: "claude-x",
      max_tokens: 4096,
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
    const two = fromChat({
      max_tokens: 10,
      messages: [
        { role: "system", content: "A" },
        { role: "developer", content: [{ type: "text", text: "B" }] },
        { role: "user", content: "hi" },
      ],
    });
    expect(two.system).toEqual([
      { type: "text", text: "A" },
      { type: "text", text: "B" },
    ]);
    expect(two.max_tokens).toBe(10);
  });

  it("sampling, stop sequences, stream; temperature capped at Anthropic's 1", () => {
    const body = fromChat({ messages: [{ role: "user", content: "hi" }], max_completion_tokens: 77, temperature: 1.6, top_p: 0.5, stop: "END", stream: true, seed: 4 });
    expect(body).toMatchObject({ max_tokens: 77, temperature: 1, top_p: 0.5, stop_sequences: ["END"], stream: true });
    expect(body).not.toHaveProperty("seed");
    expect(fromChat({ messages: [{ role: "user", content: "hi" }], temperature: 0.3 }).temperature).toBe(0.3);
  });

  it("images: URLs as url sources, data URLs as base64 sources", () => {
    const body = fromChat({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "https://example.test/cat.png", detail: "high" } },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image", source: { type: "url", url: "https://example.test/cat.png" } },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
        ],
      },
    ]);
  });

  it("tools with input_schema, and every tool_choice", () => {
    const tools = [
      { type: "function", function: { name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true } },
      { type: "function", function: { name: "now" } },
    ];
    const body = fromChat({ messages: [{ role: "user", content: "hi" }], tools, tool_choice: "required" });
    expect(body.tools).toEqual([
      { name: "weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      { name: "now", input_schema: { type: "object", properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: "any" });
    const choice = (tool_choice: unknown) => fromChat({ messages: [{ role: "user", content: "hi" }], tools, tool_choice }).tool_choice;
    expect(choice("auto")).toEqual({ type: "auto" });
    expect(choice("none")).toEqual({ type: "none" });
    expect(choice({ type: "function", function: { name: "now" } })).toEqual({ type: "tool", name: "now" });
    // No tools, no tool_choice (Anthropic rejects one without the other).
    expect(fromChat({ messages: [{ role: "user", content: "hi" }], tool_choice: "auto" })).not.toHaveProperty("tool_choice");
  });

  it("a tool round trip: tool_use blocks, then tool_result blocks in one user turn with the next user text", () => {
    const body = fromChat({
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
            { id: "call_2", type: "function", function: { name: "weather", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "21C" }] },
        { role: "user", content: "And tomorrow?" },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me check." },
          { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "18C" },
          { type: "tool_result", tool_use_id: "call_2", content: "21C" },
          { type: "text", text: "And tomorrow?" },
        ],
      },
    ]);
  });

  it("merges consecutive turns of one role and leaves out empty ones", () => {
    const body = fromChat({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "two" },
        { role: "assistant", content: "" },
        { role: "assistant", content: "three" },
        { role: "assistant", content: null },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
      { role: "assistant", content: [{ type: "text", text: "three" }] },
    ]);
  });

  it("invalid tool-call arguments are the client's mistake: a 400 naming the field", () => {
    const build = (args: string) =>
      fromChat({
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: args } }] },
        ],
      });
    expect(() => build("{not json")).toThrow(InvalidRequestError);
    expect(() => build("{not json")).toThrow(expect.objectContaining({ status: 400, param: "messages[1].tool_calls[0].function.arguments", message: expect.stringMatching(/not valid JSON/) }));
    expect(() => build("[1,2]")).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/must be a JSON object/) }));
  });

  it("n > 1 is rejected; json_schema becomes output_config; user becomes metadata.user_id", () => {
    expect(() => fromChat({ messages: [{ role: "user", content: "x" }], n: 2 })).toThrow(expect.objectContaining({ status: 400, param: "n" }));
    const body = fromChat({
      messages: [{ role: "user", content: "x" }],
      n: 1,
      user: "u-42",
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } },
    });
    expect(body).toMatchObject({ output_config: { format: { type: "json_schema", schema: { type: "object" } } }, metadata: { user_id: "u-42" } });
    expect(fromChat({ messages: [{ role: "user", content: "x" }], response_format: { type: "json_object" } })).not.toHaveProperty("output_config");
  });

  it("a tool result without its call id is rejected", () => {
    expect(() => fromChat({ messages: [{ role: "tool", content: "x" }] })).toThrow(expect.objectContaining({ status: 400, param: "messages[0].tool_call_id" }));
  });
});
