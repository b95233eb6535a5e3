import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { parseGenerateContentRequest } from "./parse-request.js";

const call = { model: "m", stream: false };

describe("generateContent request", () => {
  it("reads system, turns, tool calls and results (paired by id, else by name), and generation settings", () => {
    const body = {
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris and Rome?" }, { inlineData: { mimeType: "image/png", data: "AAAA" } }] },
        { role: "model", parts: [{ text: "Checking." }, { functionCall: { name: "weather", args: { city: "Paris" } } }, { functionCall: { id: "own-id", name: "weather", args: { city: "Rome" } } }] },
        { role: "user", parts: [{ functionResponse: { id: "own-id", name: "weather", response: { sky: "sun" } } }, { functionResponse: { name: "weather", response: { content: "fog" } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: "weather", description: "Weather", parameters: { type: "OBJECT", properties: { city: { type: "STRING" } } } }] }],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["weather"] } },
      generationConfig: { maxOutputTokens: 50, temperature: 0.5, topP: 0.9, stopSequences: ["END"], seed: 7, candidateCount: 2, responseMimeType: "application/json" },
    };
    const request = parseGenerateContentRequest(body, { model: "route", stream: true });
    expect(request).toMatchObject({
      model: "route",
      stream: true,
      includeUsage: true,
      maxOutputTokens: 50,
      temperature: 0.5,
      topP: 0.9,
      stop: ["END"],
      seed: 7,
      n: 2,
      responseFormat: { type: "json_object" },
      toolChoice: { name: "weather" },
    });
    expect(request.messages).toEqual([
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "Weather in Paris and Rome?" },
          { type: "image", url: "data:image/png;base64,AAAA" },
        ],
      },
      {
        role: "assistant",
        content: "Checking.",
        toolCalls: [
          { id: "call_1_1", name: "weather", arguments: '{"city":"Paris"}' },
          { id: "own-id", name: "weather", arguments: '{"city":"Rome"}' },
        ],
      },
      { role: "tool", toolCallId: "own-id", name: "weather", content: '{"sky":"sun"}' },
      { role: "tool", toolCallId: "call_1_1", name: "weather", content: "fog" },
    ]);
    expect(request.tools).toEqual([{ name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } }]);
    expect(request.dropped).toBeUndefined();
    expect(request.inbound).toEqual({ api: "gemini", body });
  });

  it("takes the clients' wrappers off a function's result", () => {
    const results = (response: Record<string, unknown>) =>
      parseGenerateContentRequest(
        {
          contents: [
            { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] },
            { role: "user", parts: [{ functionResponse: { name: "f", response } }] },
          ],
        },
        call,
      ).messages.at(-1)!.content;
    expect(results({ output: "42 files" })).toBe("42 files");
    expect(results({ name: "f", content: { sky: "fog" } })).toBe('{"sky":"fog"}');
    expect(results({ content: "text" })).toBe("text");
    expect(results({ name: "other", content: "x" })).toBe('{"name":"other","content":"x"}');
    expect(results({ a: 1, b: 2 })).toBe('{"a":1,"b":2}');
  });

  it("a response schema (Gemini's or JSON Schema) asks for structured output", () => {
    expect(
      parseGenerateContentRequest(
        { contents: [{ parts: [{ text: "x" }] }], generationConfig: { responseMimeType: "application/json", responseSchema: { type: "OBJECT", properties: { a: { type: "STRING" } } } } },
        call,
      ).responseFormat,
    ).toEqual({
      type: "json_schema",
      name: "response",
      schema: { type: "object", properties: { a: { type: "string" } } },
    });
    const schema = { type: "object", properties: { b: { type: "integer" } }, additionalProperties: false };
    expect(parseGenerateContentRequest({ contents: [{ parts: [{ text: "x" }] }], generationConfig: { responseJsonSchema: schema } }, call).responseFormat).toEqual({
      type: "json_schema",
      name: "response",
      schema,
    });
  });

  it("names what no canonical field carries (for x-tollgate-dropped), and drops thoughts", () => {
    const request = parseGenerateContentRequest(
      {
        contents: [
          { role: "user", parts: [{ text: "q" }, { executableCode: { code: "1" } }] },
          { role: "model", parts: [{ text: "thinking", thought: true }, { text: "a" }] },
        ],
        tools: [{ googleSearch: {} }],
        safetySettings: [],
        generationConfig: { topK: 3, thinkingConfig: { thinkingBudget: 0 } },
      },
      call,
    );
    expect(request.dropped).toEqual(["executableCode parts", "thought parts", "generationConfig.topK", "generationConfig.thinkingConfig", "tools (googleSearch)", "safetySettings"]);
    expect(request.messages).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "a" },
    ]);
  });

  it("refuses bad bodies with a 400 naming the field", () => {
    for (const [body, param] of [
      [{}, "contents"],
      [{ contents: [] }, "contents"],
      [{ contents: [{ role: "robot", parts: [] }] }, "contents[0].role"],
      [{ contents: [{ parts: [{ text: 1 }] }] }, "contents[0].parts[0].text"],
      [{ contents: [{ parts: [{ functionCall: { name: "f" } }] }] }, "contents[0].role"],
      [{ contents: [{ parts: [] }], generationConfig: { maxOutputTokens: 0 } }, "generationConfig.maxOutputTokens"],
    ] as const) {
      try {
        parseGenerateContentRequest(body, call);
        expect.unreachable(JSON.stringify(body));
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidRequestError);
        expect((err as InvalidRequestError).param).toBe(param);
      }
    }
  });

  it("never throws anything but a 400 on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          parseGenerateContentRequest(body, call);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidRequestError);
        }
      }),
    );
  });
});
