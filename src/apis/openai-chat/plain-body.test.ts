import { describe, expect, it } from "vitest";
import { chatRequest, parseChatRequest } from "./parse-request.js";
import { isPlainChatBody } from "./plain-body.js";

const user = { role: "user", content: "hi" };
const plain: Record<string, unknown>[] = [
  { model: "m", messages: [user] },
  { model: "m", messages: [{ role: "system", content: "be brief" }, user], stream: true, stream_options: { include_usage: true } },
  {
    model: "m",
    messages: [
      { role: "assistant", content: null, name: "a" },
      { role: "tool", content: "42", tool_call_id: "c1" },
    ],
    stream: null,
    stream_options: null,
  },
  { model: "m", messages: [user], max_tokens: 16, max_completion_tokens: null, temperature: 0, top_p: 1, user: "u", metadata: { any: "thing" } },
];
const notPlain: unknown[] = [
  // Valid, but checked by the schema alone.
  { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] },
  { model: "m", messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] }] },
  { model: "m", messages: [user], stop: "x" },
  { model: "m", messages: [user], tools: [{ type: "function", function: { name: "f" } }] },
  { model: "m", messages: [user], response_format: { type: "json_object" } },
  // Invalid.
  { model: "", messages: [user] },
  { model: "m", messages: [] },
  { model: "m", messages: [{ role: "robot", content: "hi" }] },
  { model: "m", messages: [{ role: "user", content: 1 }] },
  { model: "m", messages: [user], stream: "yes" },
  { model: "m", messages: [user], stream_options: { include_usage: "yes" } },
  { model: "m", messages: [user], stream_options: [] },
  { model: "m", messages: [user], max_tokens: 0 },
  { model: "m", messages: [user], max_tokens: 1.5 },
  { model: "m", messages: [user], max_tokens: 2 ** 60 },
  { model: "m", messages: [user], temperature: 2.5 },
  { model: "m", messages: [user], top_p: -0.1 },
  { model: "m", messages: [user, null] },
];

describe("isPlainChatBody", () => {
  it("accepts only bodies the schema accepts unchanged", () => {
    for (const body of plain) {
      expect(isPlainChatBody(body)).toBe(true);
      const parsed = chatRequest.safeParse(body);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(body);
    }
  });

  it("sends anything else to the schema, whose errors name the field", () => {
    for (const body of notPlain) expect(isPlainChatBody(body as Record<string, unknown>)).toBe(false);
    expect(() => parseChatRequest({ model: "m", messages: [{ role: "robot", content: "hi" }] })).toThrow(/messages\[0\]\.role/);
    expect(() => parseChatRequest({ model: "m", messages: [user], max_tokens: 0 })).toThrow(/max_tokens/);
  });

  it("reads a plain body as the schema's output is read", () => {
    for (const body of plain) {
      // `n: 1` sends the same body through the schema and adds only `n` to the request.
      const { n, inbound, ...viaSchema } = parseChatRequest({ ...body, n: 1 });
      const { inbound: plainInbound, ...viaCheck } = parseChatRequest(body);
      expect(n).toBe(1);
      expect(viaCheck).toEqual(viaSchema);
      expect(plainInbound.body).toBe(body);
    }
  });
});
