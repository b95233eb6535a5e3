import { describe, expect, it } from "vitest";
import { listFixtures, loadJson, loadText } from "../../../test/support/fixtures.js";
import { expectedFromResponsesBody } from "../../../test/support/responses-fixtures.js";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { createOpenAIResponsesAdapter } from "./responses-adapter.js";

const adapter = createOpenAIResponsesAdapter({ baseURL: "https://api.example.test/v1", apiKey: "sk-test", headers: { "openai-organization": "org-1" } });

function chatRequest(overrides: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: "route", messages: [{ role: "user", content: "hi" }], stream: false, includeUsage: false, inbound: { api: "openai-chat", body: {} }, ...overrides };
}

describe("buildRequest", () => {
  it("forwards a Responses client's body with the target's model, to {baseURL}/responses", () => {
    const body = { model: "route", input: [{ role: "user", content: "hi" }], reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"], stream: true };
    const spec = adapter.buildRequest(chatRequest({ stream: true, inbound: { api: "openai-responses", body } }), "gpt-5-nano");
    expect(spec.url).toBe("https://api.example.test/v1/responses");
    expect(spec.headers).toMatchObject({ authorization: "Bearer sk-test", "content-type": "application/json", "openai-organization": "org-1" });
    expect(JSON.parse(spec.body)).toEqual({ ...body, model: "gpt-5-nano" });
  });

  it("builds a Responses body from another API's request", () => {
    const request = chatRequest({
      stream: true,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use tools." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "Weather here?" },
            { type: "image", url: "https://x.test/a.png" },
            { type: "other", raw: { type: "input_audio" } },
          ],
        },
        {
          role: "assistant",
          content: "Let me check.",
          toolCalls: [
            { id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
            { id: "call_2", name: "time", arguments: "{}" },
          ],
        },
        { role: "tool", toolCallId: "call_1", content: "18C" },
        { role: "tool", toolCallId: "call_2", content: [{ type: "text", text: "noon" }] },
        { role: "system", content: "Late instruction." },
      ],
      maxOutputTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      stop: ["END"],
      seed: 7,
      tools: [
        { name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
        { name: "time", strict: true },
      ],
      toolChoice: { name: "weather" },
      responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
    });
    expect(JSON.parse(adapter.buildRequest(request, "gpt-5").body)).toEqual({
      model: "gpt-5",
      store: false,
      stream: true,
      instructions: "Be brief.\n\nUse tools.",
      input: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "Weather here?" },
            { type: "input_image", image_url: "https://x.test/a.png", detail: "auto" },
          ],
        },
        { type: "message", role: "assistant", content: "Let me check." },
        { type: "function_call", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "call_2", name: "time", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "18C" },
        { type: "function_call_output", call_id: "call_2", output: "noon" },
        { type: "message", role: "system", content: "Late instruction." },
      ],
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      tools: [
        { type: "function", name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
        { type: "function", name: "time", parameters: { type: "object", properties: {} }, strict: true },
      ],
      tool_choice: { type: "function", name: "weather" },
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
    });
  });

  it("maps json_object and string tool choices; refuses n > 1", () => {
    const body = JSON.parse(adapter.buildRequest(chatRequest({ responseFormat: { type: "json_object" }, toolChoice: "required" }), "m").body);
    expect(body).toMatchObject({ text: { format: { type: "json_object" } }, tool_choice: "required", input: [{ type: "message", role: "user", content: "hi" }] });
    expect(body.stream).toBeUndefined();
    expect(() => adapter.buildRequest(chatRequest({ n: 2 }), "m")).toThrow(InvalidRequestError);
  });
});

describe("parseResponse", () => {
  const bodies = listFixtures("openai-responses", ".json").filter((f) => !f.includes("error"));

  it.each(bodies)("%s", (fixture) => {
    const body = loadJson(fixture);
    const expected = expectedFromResponsesBody(body);
    const parsed = adapter.parseResponse(body);
    expect(parsed).toMatchObject({ id: expected.id, model: expected.model });
    expect(parsed.choices).toHaveLength(1);
    const choice = parsed.choices[0]!;
    expect(choice.text).toBe(expected.text);
    expect(choice.reasoning ?? "").toBe(expected.reasoning);
    expect(choice.toolCalls ?? []).toEqual(expected.toolCalls);
    expect(choice.finishReason).toBe(expected.finishReason);
    expect(parsed.usage).toEqual(expected.usage);
  });

  it("a failed response throws the provider's message; a body without output is a protocol error", () => {
    expect(() => adapter.parseResponse({ status: "failed", output: [], error: { code: "server_error", message: "boom" } })).toThrow(/boom/);
    expect(() => adapter.parseResponse({ choices: [] })).toThrow(UpstreamProtocolError);
  });

  it("an incomplete response finishes with length", () => {
    expect(adapter.parseResponse({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [] }).choices[0]!.finishReason).toBe("length");
  });
});

describe("parseError", () => {
  it("reads OpenAI's error shape", () => {
    expect(adapter.parseError(429, loadText("openai-responses/openai-error.1.json"))).toEqual({
      message: expect.stringMatching(/^You exceeded your current quota/),
      type: "insufficient_quota",
      code: "insufficient_quota",
      param: null,
    });
  });
});
