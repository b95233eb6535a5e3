import { describe, expect, test } from "vitest";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { sameFormatBody } from "./same-format-body.js";

const inbound = { model: "route", messages: [{ role: "user", content: "hi" }], logprobs: true, user: "u-1", service_tier: "flex" };
const request: CanonicalRequest = {
  model: "route",
  messages: [{ role: "user", content: "hi" }],
  stream: false,
  includeUsage: false,
  dropped: ["logprobs", "service_tier"],
  inbound: { api: "openai-chat", body: inbound },
};
const build = () => ({
  model: "gpt",
  messages: [
    { role: "system", content: "pinned" },
    { role: "user", content: "hi" },
  ],
});

describe("sameFormatBody", () => {
  test("another API: nothing (the caller translates)", () => {
    expect(sameFormatBody(request, "anthropic-messages", "gpt", build)).toBeUndefined();
  });

  test("untouched: the client's body with the target's model", () => {
    expect(sameFormatBody(request, "openai-chat", "gpt", build)).toEqual({ ...inbound, model: "gpt" });
  });

  test("rewritten: the built body, plus the client's unmodelled fields and user", () => {
    expect(sameFormatBody({ ...request, rewritten: true }, "openai-chat", "gpt", build)).toEqual({ ...build(), logprobs: true, service_tier: "flex", user: "u-1" });
  });

  test("rewritten with the client's tools unchanged: its tools and tool_choice as sent; changed by a stage: as built", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: {} }, cache_marker: 1 }];
    const withTools = { ...inbound, tools, tool_choice: "auto" };
    const parsed = [{ name: "f", parameters: {} }];
    const base: CanonicalRequest = { ...request, rewritten: true, tools: parsed, toolsAsParsed: { tools: parsed }, inbound: { api: "openai-chat", body: withTools } };
    const rebuilt = () => ({ ...build(), tools: [{ type: "function", function: { name: "f", parameters: {} } }] });
    expect(sameFormatBody(base, "openai-chat", "gpt", rebuilt)).toMatchObject({ tools, tool_choice: "auto" });
    expect(sameFormatBody({ ...base, tools: [...parsed, { name: "server_tool" }] }, "openai-chat", "gpt", rebuilt)).toMatchObject({ tools: rebuilt().tools });
  });
});
