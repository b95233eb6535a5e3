import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import type { CanonicalRequest, Message } from "../../spec/canonical-request.js";
import { createGoogleAdapter } from "./adapter.js";
import { loadJson } from "../../../test/support/fixtures.js";
import { SKIP_THOUGHT_SIGNATURE, toGeminiBody } from "./request.js";

const adapter = createGoogleAdapter({ baseURL: "https://generativelanguage.googleapis.com/v1beta", apiKey: "AIzaSyTESTKEY0123456789abcdef", headers: { "x-extra": "1" } });

function req(messages: Message[], extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: "route", messages, stream: false, includeUsage: false, inbound: { api: "openai-chat", body: {} }, ...extra };
}

describe("Gemini request: URL and headers", () => {
  it("streams from streamGenerateContent?alt=sse, answers from generateContent, the key only in x-goog-api-key", () => {
    const stream = adapter.buildRequest(req([{ role: "user", content: "hi" }], { stream: true }), "gemini-2.5-flash");
    expect(stream.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    const once = adapter.buildRequest(req([{ role: "user", content: "hi" }]), "gemini-2.5-flash");
    expect(once.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    expect(once.headers).toEqual({ "content-type": "application/json", "x-extra": "1", "x-goog-api-key": "AIzaSyTESTKEY0123456789abcdef" });
    expect(once.url).not.toContain("key=");
    expect(once.url).not.toContain("AIza");
    expect(adapter.buildRequest(req([{ role: "user", content: "hi" }]), "tunedModels/mine").url).toBe("https://generativelanguage.googleapis.com/v1beta/tunedModels/mine:generateContent");
  });
});

describe("Gemini request: body", () => {
  it("system and developer messages become systemInstruction; roles are user and model", () => {
    const body = toGeminiBody(
      req([
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use metric." }] },
        { role: "user", content: "Hi", name: "alice" },
        { role: "assistant", content: "Hello." },
        { role: "user", content: "Weather?" },
      ]),
      "gemini-2.5-flash",
    );
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Use metric." }] },
      contents: [
        { role: "user", parts: [{ text: "Hi" }] },
        { role: "model", parts: [{ text: "Hello." }] },
        { role: "user", parts: [{ text: "Weather?" }] },
      ],
    });
  });

  it("images: data URLs inline, http URLs as fileData; audio and inline files too; other parts are a 400", () => {
    const body = toGeminiBody(
      req([
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
            { type: "image", url: "https://example.com/cat.jpg?size=2" },
            { type: "image", url: "https://example.com/image" },
            { type: "other", raw: { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } } },
            { type: "other", raw: { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } } },
          ],
        },
      ]),
      "gemini-2.5-flash",
    );
    expect((body.contents as Array<{ parts: unknown[] }>)[0]!.parts).toEqual([
      { text: "What is this?" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { fileUri: "https://example.com/cat.jpg?size=2", mimeType: "image/jpeg" } },
      { fileData: { fileUri: "https://example.com/image" } },
      { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
      { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } },
    ]);
    const bad = () => toGeminiBody(req([{ role: "user", content: [{ type: "other", raw: { type: "file", file: { file_id: "file-1" } } }] }]), "m");
    expect(bad).toThrow(InvalidRequestError);
    expect(bad).toThrow(/messages\[0\]\.content\[0\]/);
    expect(() => toGeminiBody(req([{ role: "user", content: [{ type: "image", url: "ftp://x/y.png" }] }]), "m")).toThrow(InvalidRequestError);
  });

  it("tool calls become functionCall parts, and results functionResponse parts named after their call", () => {
    const body = toGeminiBody(
      req([
        { role: "user", content: "Weather in SF and Paris?" },
        {
          role: "assistant",
          content: null,
          toolCalls: [
            { id: "call_1", name: "weather", arguments: '{"location":"San Francisco"}' },
            { id: "call_2", name: "weather", arguments: "" },
          ],
        },
        { role: "tool", toolCallId: "call_1", content: '{"temperature":18}' },
        { role: "tool", toolCallId: "call_2", content: "sunny" },
        { role: "user", content: "Thanks" },
      ]),
      "gemini-2.5-flash",
    );
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in SF and Paris?" }] },
      {
        role: "model",
        parts: [{ functionCall: { name: "weather", args: { location: "San Francisco" } } }, { functionCall: { name: "weather", args: {} } }],
      },
      // Parallel results answer in one turn, in order.
      {
        role: "user",
        parts: [{ functionResponse: { name: "weather", response: { temperature: 18 } } }, { functionResponse: { name: "weather", response: { content: "sunny" } } }],
      },
      { role: "user", parts: [{ text: "Thanks" }] },
    ]);
  });

  it("Gemini 3 gets Google's stand-in thought signature on replayed calls", () => {
    const messages: Message[] = [
      { role: "user", content: "x" },
      { role: "assistant", content: null, toolCalls: [{ id: "c", name: "f", arguments: "{}" }] },
      { role: "tool", toolCallId: "c", content: "[1,2]" },
    ];
    const parts = (model: string) => (toGeminiBody(req(messages), model).contents as Array<{ parts: Array<Record<string, unknown>> }>)[1]!.parts;
    expect(parts("gemini-3-pro-preview")[0]).toEqual({ functionCall: { name: "f", args: {} }, thoughtSignature: SKIP_THOUGHT_SIGNATURE });
    expect(parts("gemini-2.5-pro")[0]).toEqual({ functionCall: { name: "f", args: {} } });
    // A JSON array is not an object: it goes as text.
    expect((toGeminiBody(req(messages), "m").contents as Array<{ parts: unknown[] }>)[2]!.parts).toEqual([{ functionResponse: { name: "f", response: { content: "[1,2]" } } }]);
  });

  it("a call whose id carries Gemini's own thought signature gets it back on the next turn", () => {
    const answer = createGoogleAdapter({ baseURL: "http://127.0.0.1:1", headers: {} }).parseResponse(loadJson("google/google-tool-call-gemini3.json"));
    const call = answer.choices[0]!.toolCalls![0]!;
    const recorded = (loadJson("google/google-tool-call-gemini3.json") as { candidates: Array<{ content: { parts: Array<{ thoughtSignature: string }> } }> }).candidates[0]!.content.parts[0]!
      .thoughtSignature;
    const messages: Message[] = [
      { role: "user", content: "Weather in SF?" },
      { role: "assistant", content: null, toolCalls: [call, { id: "call_written_by_client", name: "weather", arguments: "{}" }] },
      { role: "tool", toolCallId: call.id, content: "sunny" },
      { role: "tool", toolCallId: "call_written_by_client", content: "rain" },
    ];
    const parts = (toGeminiBody(req(messages), "gemini-3-pro-preview").contents as Array<{ parts: Array<Record<string, unknown>> }>)[1]!.parts;
    expect(parts[0]).toEqual({ functionCall: { name: "weather", args: { location: "San Francisco" } }, thoughtSignature: recorded });
    // A call that carries none gets Google's stand-in on Gemini 3.
    expect(parts[1]!.thoughtSignature).toBe(SKIP_THOUGHT_SIGNATURE);
    // The signature is sent back to any model that gave one.
    const older = (toGeminiBody(req(messages), "gemini-2.5-pro").contents as Array<{ parts: Array<Record<string, unknown>> }>)[1]!.parts;
    expect(older[0]!.thoughtSignature).toBe(recorded);
    expect(older[1]).not.toHaveProperty("thoughtSignature");
  });

  it("arguments that are not a JSON object, and results for unknown calls, are 400s naming the field", () => {
    const call = (args: string) => () =>
      toGeminiBody(
        req([
          { role: "user", content: "x" },
          { role: "assistant", content: null, toolCalls: [{ id: "c", name: "f", arguments: args }] },
        ]),
        "m",
      );
    expect(call("{oops")).toThrow(InvalidRequestError);
    expect(call("{oops")).toThrow(/messages\[1\]\.tool_calls\[0\]\.function\.arguments/);
    expect(call("[1]")).toThrow(/must be a JSON object/);
    try {
      call("{oops")();
    } catch (err) {
      expect(err).toMatchObject({ status: 400, param: "messages[1].tool_calls[0].function.arguments" });
    }
    expect(() =>
      toGeminiBody(
        req([
          { role: "user", content: "x" },
          { role: "tool", toolCallId: "nope", content: "1" },
        ]),
        "m",
      ),
    ).toThrow(/tool_call_id "nope"/);
    expect(() => toGeminiBody(req([{ role: "system", content: "only a system prompt" }]), "m")).toThrow(InvalidRequestError);
  });

  it("tools, tool choice and generation settings", () => {
    const base = req([{ role: "user", content: "x" }], {
      tools: [
        {
          name: "weather",
          description: "Weather",
          parameters: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { location: { type: "string" } }, required: ["location"], additionalProperties: false },
          strict: true,
        },
        { name: "now", parameters: { type: "object", properties: {}, additionalProperties: false } },
      ],
      toolChoice: { name: "weather" },
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stop: ["END"],
      n: 2,
      seed: 7,
    });
    const body = toGeminiBody(base, "m");
    expect(body.tools).toEqual([
      {
        functionDeclarations: [{ name: "weather", description: "Weather", parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } }, { name: "now" }],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["weather"] } });
    expect(body.generationConfig).toEqual({ maxOutputTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ["END"], candidateCount: 2, seed: 7 });
    for (const [choice, mode] of [
      ["auto", "AUTO"],
      ["none", "NONE"],
      ["required", "ANY"],
    ] as const) {
      expect(toGeminiBody({ ...base, toolChoice: choice }, "m").toolConfig).toEqual({ functionCallingConfig: { mode } });
    }
  });

  it("JSON response formats set responseMimeType, and a schema responseSchema", () => {
    expect(toGeminiBody(req([{ role: "user", content: "x" }], { responseFormat: { type: "json_object" } }), "m").generationConfig).toEqual({ responseMimeType: "application/json" });
    const schema = { type: "object", properties: { a: { type: ["string", "null"] } }, required: ["a"], additionalProperties: false };
    expect(toGeminiBody(req([{ role: "user", content: "x" }], { responseFormat: { type: "json_schema", name: "s", schema, strict: true } }), "m").generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { a: { type: "string", nullable: true } }, required: ["a"] },
    });
    expect(toGeminiBody(req([{ role: "user", content: "x" }], { responseFormat: { type: "text" } }), "m").generationConfig).toBeUndefined();
  });
});

describe("google provider config", () => {
  it("defaults the base URL, requires the key, and builds the adapter", async () => {
    const { resolveConfig, ConfigError } = await import("../../config/resolve.js");
    const { createProviders } = await import("../registry.js");
    const config = resolveConfig(
      { providers: { g: { type: "google", apiKey: "env:GK" } }, models: { m: { targets: [{ provider: "g", model: "gemini-2.5-flash" }] } } },
      { GK: "AIzaSy-config-key-0123456789" },
    );
    expect(config.providers.g).toEqual({ type: "google", name: "g", baseURL: "https://generativelanguage.googleapis.com/v1beta", apiKey: "AIzaSy-config-key-0123456789", headers: {} });
    const provider = createProviders(config.providers, { send: () => Promise.reject(new Error("unused")) }).get("g")!;
    expect(provider.adapter.nativeApi).toBe("gemini");
    expect(provider.adapter.hasEndMarker).toBe(false);
    expect(() => resolveConfig({ providers: { g: { type: "google" } }, models: {} }, {})).toThrow(ConfigError);
  });
});
