import { describe, expect, it } from "vitest";
import { openaiChatCodec } from "../../apis/openai-chat/codec.js";
import { openaiResponsesCodec } from "../../apis/openai-responses/codec.js";
import { createOpenAIChatAdapter } from "./adapter.js";
import { createOpenAIResponsesAdapter } from "./responses-adapter.js";
import { fitToolCallId } from "./tool-call-ids.js";

// A Gemini 3 call's id carries its thought signature: far longer than OpenAI's 40 characters.
const LONG = `call_0123456789abcdef01234567__ts_${"A".repeat(300)}`;

describe("tool-call ids OpenAI accepts", () => {
  it("short ids are kept; long ones become a short id derived from them, the same every time", () => {
    expect(fitToolCallId("call_abc")).toBe("call_abc");
    expect(fitToolCallId(LONG)).toMatch(/^call_[0-9a-f]{32}$/);
    expect(fitToolCallId(LONG)).toBe(fitToolCallId(LONG));
    expect(fitToolCallId(`${LONG}B`)).not.toBe(fitToolCallId(LONG));
  });

  it("Chat: a client's own body (pass-through) gets fitted ids in pairs, everything else as sent, the client's body untouched", () => {
    const adapter = createOpenAIChatAdapter({ baseURL: "http://up/v1", headers: {}, streamUsageOption: true });
    const clientBody = {
      model: "r",
      logprobs: true,
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: LONG, type: "function", function: { name: "weather", arguments: "{}" } },
            { id: "call_short", type: "function", function: { name: "now", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: LONG, content: "sunny" },
        { role: "tool", tool_call_id: "call_short", content: "noon" },
      ],
    };
    const snapshot = JSON.stringify(clientBody);
    const sent = JSON.parse(adapter.buildRequest(openaiChatCodec.parseRequest(clientBody), "gpt-x").body) as {
      logprobs: boolean;
      messages: Array<{ tool_calls?: Array<{ id: string }>; tool_call_id?: string }>;
    };
    expect(sent.logprobs).toBe(true);
    expect(sent.messages[1]!.tool_calls!.map((c) => c.id)).toEqual([fitToolCallId(LONG), "call_short"]);
    expect(sent.messages.slice(2).map((m) => m.tool_call_id)).toEqual([fitToolCallId(LONG), "call_short"]);
    expect(JSON.stringify(clientBody)).toBe(snapshot);
  });

  it("Responses: translated and pass-through bodies alike", () => {
    const adapter = createOpenAIResponsesAdapter({ baseURL: "http://up/v1", headers: {} });
    const clientBody = {
      model: "r",
      input: [
        { role: "user", content: "Weather?" },
        { type: "function_call", call_id: LONG, name: "weather", arguments: "{}" },
        { type: "function_call_output", call_id: LONG, output: "sunny" },
      ],
    };
    const sent = JSON.parse(adapter.buildRequest(openaiResponsesCodec.parseRequest(clientBody), "gpt-x").body) as { input: Array<{ call_id?: string }> };
    expect(sent.input.slice(1).map((i) => i.call_id)).toEqual([fitToolCallId(LONG), fitToolCallId(LONG)]);
    const fromChat = openaiChatCodec.parseRequest({
      model: "r",
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: null, tool_calls: [{ id: LONG, type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: LONG, content: "1" },
      ],
    });
    const translated = JSON.parse(adapter.buildRequest(fromChat, "gpt-x").body) as { input: Array<{ call_id?: string }> };
    expect(translated.input.filter((i) => i.call_id).map((i) => i.call_id)).toEqual([fitToolCallId(LONG), fitToolCallId(LONG)]);
  });
});
