import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { parseResponsesRequest } from "./parse-request.js";

function rejection(body: unknown): InvalidRequestError {
  try {
    parseResponsesRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    return err as InvalidRequestError;
  }
  throw new Error("expected a 400");
}

describe("parseResponsesRequest", () => {
  it("a string input is one user message; instructions come first as a system message", () => {
    const body = { model: "fast", input: "Hello", instructions: "Be brief.", stream: true };
    expect(parseResponsesRequest(body)).toEqual({
      model: "fast",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
      stream: true,
      includeUsage: true,
      inbound: { api: "openai-responses", body },
    });
  });

  it("reads message, function_call and function_call_output items; function calls join the assistant turn", () => {
    const request = parseResponsesRequest({
      model: "fast",
      input: [
        { role: "developer", content: "Use tools." },
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "Weather?" },
            { type: "input_image", image_url: "https://x.test/a.png", detail: "low" },
            { type: "input_file", file_id: "file-1" },
          ],
        },
        { type: "reasoning", id: "rs_1", summary: [] },
        { type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Checking.", annotations: [] }] },
        { type: "function_call", id: "fc_1", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}', status: "completed" },
        { type: "function_call", call_id: "call_2", name: "time", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "18C" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "noon" }] },
        { type: "function_call", call_id: "call_3", name: "again", arguments: "{}" },
      ],
    });
    expect(request.messages).toEqual([
      { role: "developer", content: "Use tools." },
      {
        role: "user",
        content: [
          { type: "text", text: "Weather?" },
          { type: "image", url: "https://x.test/a.png", detail: "low" },
          { type: "other", raw: { type: "input_file", file_id: "file-1" } },
        ],
      },
      {
        role: "assistant",
        content: [{ type: "text", text: "Checking." }],
        toolCalls: [
          { id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
          { id: "call_2", name: "time", arguments: "{}" },
        ],
      },
      { role: "tool", content: "18C", toolCallId: "call_1" },
      { role: "tool", content: [{ type: "text", text: "noon" }], toolCallId: "call_2" },
      { role: "assistant", content: null, toolCalls: [{ id: "call_3", name: "again", arguments: "{}" }] },
    ]);
  });

  it("reads tools, tool_choice, sampling, limits and text.format; keeps unknown fields in the body", () => {
    const body = {
      model: "fast",
      input: "hi",
      tools: [
        { type: "function", name: "weather", description: "Weather", parameters: { type: "object" }, strict: true },
        { type: "function", name: "bare", parameters: null },
      ],
      tool_choice: { type: "function", name: "weather" },
      temperature: 0.5,
      top_p: 0.8,
      max_output_tokens: 100,
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: false }, verbosity: "low" },
      reasoning: { effort: "low" },
      parallel_tool_calls: false,
      store: false,
      user: "u-1",
    };
    const request = parseResponsesRequest(body);
    expect(request).toMatchObject({
      tools: [{ name: "weather", description: "Weather", parameters: { type: "object" }, strict: true }, { name: "bare" }],
      toolChoice: { name: "weather" },
      temperature: 0.5,
      topP: 0.8,
      maxOutputTokens: 100,
      responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: false },
      dropped: ["reasoning", "parallel_tool_calls"],
    });
    expect(request.tools![1]).toEqual({ name: "bare" });
    expect(request.inbound.body).toBe(body);
    expect(parseResponsesRequest({ model: "m", input: "x", tool_choice: "required", text: { format: { type: "json_object" } } })).toMatchObject({
      toolChoice: "required",
      responseFormat: { type: "json_object" },
    });
  });

  it("sets built-in tools aside for the provider, flattens namespaces and turns custom tools into functions", () => {
    const request = parseResponsesRequest({
      model: "m",
      input: "x",
      tools: [
        { type: "function", name: "f" },
        { type: "web_search_preview" },
        { type: "file_search", vector_store_ids: [] },
        {
          type: "namespace",
          name: "crm",
          description: "CRM.",
          tools: [
            { type: "function", name: "find", description: "Find.", parameters: { type: "object" } },
            { type: "custom", name: "note" },
          ],
        },
        { type: "custom", name: "sql" },
      ],
      tool_choice: { type: "web_search_preview" },
    });
    expect(request.providerOnly).toEqual(["web_search_preview", "file_search"]);
    expect(request.tools!.map((t) => t.name)).toEqual(["f", "crm__find", "crm__note", "sql"]);
    expect(request.tools![1]).toMatchObject({ description: "CRM. Find.", parameters: { type: "object" } });
    expect(request.tools![3]!.parameters).toMatchObject({ properties: { input: { type: "string" } }, required: ["input"] });
    expect(request.toolOrigins).toEqual({
      crm__find: { kind: "namespaced", namespace: "crm", name: "find" },
      crm__note: { kind: "custom", namespace: "crm", name: "note" },
      sql: { kind: "custom", name: "sql" },
    });
    expect(request.toolChoice).toBeUndefined();
    expect(parseResponsesRequest({ model: "m", input: "x", tools: [{ type: "custom", name: "sql" }], tool_choice: { type: "custom", name: "sql" } }).toolChoice).toEqual({ name: "sql" });
    expect(rejection({ model: "m", input: "x", tool_choice: { type: "allowed_tools" } })).toMatchObject({ param: "tool_choice" });
  });

  it("keeps built-in tools' items for the provider and lists them as dropped for translation", () => {
    const request = parseResponsesRequest({
      model: "m",
      input: [
        { role: "user", content: "x" },
        { type: "web_search_call", id: "ws_1", status: "completed" },
        { type: "shell_call", id: "sh_1" },
      ],
    });
    expect(request.messages).toHaveLength(1);
    expect(request.dropped).toEqual(["web_search_call items", "shell_call items"]);
  });

  it("refuses what needs server-side state", () => {
    for (const [field, value] of [
      ["previous_response_id", "resp_1"],
      ["store", true],
      ["conversation", "conv_1"],
      ["prompt", { id: "pmpt_1" }],
      ["background", true],
    ] as const) {
      const err = rejection({ model: "m", input: "x", [field]: value });
      expect(err.param).toBe(field);
      expect(err.message).toMatch(/not supported: Tollgate is stateless/);
    }
    expect(rejection({ model: "m", input: [{ type: "item_reference", id: "msg_1" }] }).message).toMatch(/stateless/);
  });

  it("names the bad field", () => {
    expect(rejection({ model: "m" })).toMatchObject({ param: "input" });
    expect(rejection({ model: "m", input: [] })).toMatchObject({ param: "input" });
    expect(rejection({ model: "m", input: "x", temperature: 3 })).toMatchObject({ param: "temperature" });
    expect(rejection({ model: "m", input: [{ role: "user", content: 5 }] })).toMatchObject({ param: "input[0].content" });
    expect(rejection({ model: "m", input: [{ type: "function_call", call_id: "c", arguments: "{}" }] })).toMatchObject({ param: "input[0].name" });
    expect(rejection({ model: "m", input: [{ type: "custom_tool_call", call_id: "c", name: "sql" }] })).toMatchObject({ param: "input[0].input" });
    expect(rejection({ model: "m", input: "x", tools: [{ type: "namespace", name: "n", tools: [{ type: "function" }] }] })).toMatchObject({ param: expect.stringMatching(/^tools\[0\]\.tools\[0\]/) });
    expect(rejection({ model: "m", input: "x", tools: [{ type: "function" }] })).toMatchObject({ param: "tools[0].name" });
    expect(rejection([1, 2]).message).toMatch(/JSON object/);
  });
});
