import { describe, expect, it } from "vitest";
import { parseSimRequest, SimRequestError } from "./request.js";

const user = { role: "user", content: "hi" };

function rejects(body: unknown, param?: string): void {
  let error: unknown;
  try {
    parseSimRequest(typeof body === "string" ? body : JSON.stringify(body));
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(SimRequestError);
  if (param !== undefined) expect((error as SimRequestError).param).toBe(param);
}

describe("parseSimRequest", () => {
  it("reads the fields the simulator acts on", () => {
    const request = parseSimRequest(
      JSON.stringify({
        model: "sim",
        messages: [
          { role: "system", content: "be brief" },
          {
            role: "user",
            content: [
              { type: "text", text: "hello" },
              { type: "image_url", image_url: { url: "http://x/y.png" } },
            ],
          },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "call_1", content: "ok" },
        ],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 50,
        max_completion_tokens: 20,
        n: 2,
        tools: [
          { type: "function", function: { name: "f", parameters: { type: "object" } } },
          { type: "custom", custom: { name: "c" } },
        ],
        tool_choice: { type: "function", function: { name: "f" } },
      }),
    );
    expect(request).toMatchObject({ model: "sim", stream: true, includeUsage: true, maxTokens: 20, n: 2, toolChoice: { name: "f" } });
    expect(request.tools).toEqual([{ name: "f", parameters: { type: "object" } }]);
    expect(request.messages[1]!.content).toEqual([
      { type: "text", text: "hello" },
      { type: "image", url: "http://x/y.png" },
    ]);
    expect(request.messages[2]!.toolCalls).toEqual([{ id: "call_1", name: "f", arguments: "{}" }]);
    expect(request.messages[3]).toMatchObject({ role: "tool", toolCallId: "call_1", content: "ok" });
  });

  it("defaults n, stream, usage and tool_choice", () => {
    const request = parseSimRequest(JSON.stringify({ model: "sim", messages: [user], stream_options: { include_usage: true } }));
    expect(request).toMatchObject({ n: 1, stream: false, includeUsage: false, toolChoice: "auto", tools: [] });
    expect(request.maxTokens).toBeUndefined();
  });

  it("rejects what OpenAI rejects with 400", () => {
    rejects("not json{");
    rejects("[1,2]");
    rejects("null");
    rejects({ model: "sim" }, "messages");
    rejects({ model: "sim", messages: [] }, "messages");
    rejects({ model: "sim", messages: ["hi"] }, "messages[0]");
    rejects({ model: "sim", messages: [{ role: "robot", content: "x" }] }, "messages[0].role");
    rejects({ model: "sim", messages: [{ role: "user", content: 5 }] }, "messages[0].content");
    rejects({ model: "sim", messages: [user], n: 0 }, "n");
    rejects({ model: "sim", messages: [user], n: 1.5 }, "n");
    rejects({ model: "sim", messages: [user], max_tokens: -1 }, "max_tokens");
    rejects({ model: "sim", messages: [user], max_completion_tokens: 1e12 }, "max_completion_tokens");
    rejects({ model: "sim", messages: [user], tools: {} }, "tools");
    rejects({ model: "sim", messages: [user], tools: [{ type: "function", function: {} }] }, "tools[0].function.name");
    rejects({ model: "sim", messages: [user], tool_choice: "sometimes" }, "tool_choice");
  });
});
