import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { toMessagesBody } from "../../providers/anthropic/messages-request.js";
import { parseMessagesRequest } from "./parse-request.js";

const minimal = { model: "fast", max_tokens: 64, messages: [{ role: "user", content: "hi" }] };

function rejection(body: unknown): InvalidRequestError {
  try {
    parseMessagesRequest(body);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error("accepted");
}

describe("parseMessagesRequest", () => {
  it("reads a minimal request", () => {
    expect(parseMessagesRequest(minimal)).toEqual({
      model: "fast",
      messages: [{ role: "user", content: "hi" }],
      stream: false,
      includeUsage: true,
      maxOutputTokens: 64,
      inbound: { api: "anthropic-messages", body: minimal },
    });
  });

  it("requires max_tokens, naming it", () => {
    const { max_tokens: _, ...body } = minimal;
    const err = rejection(body);
    expect(err).toMatchObject({ status: 400, param: "max_tokens", message: "max_tokens: Field required" });
    expect(rejection({ ...minimal, max_tokens: 0 })).toMatchObject({ param: "max_tokens" });
  });

  it.each([
    ["not an object", [], null],
    ["no messages", { ...minimal, messages: [] }, "messages"],
    ["a bad role", { ...minimal, messages: [{ role: "tool", content: "x" }] }, "messages[0].role"],
    ["temperature over 1", { ...minimal, temperature: 1.5 }, "temperature"],
    ["stream as a string", { ...minimal, stream: "yes" }, "stream"],
    ["a text block without text", { ...minimal, messages: [{ role: "user", content: [{ type: "text" }] }] }, "messages[0].content[0].text"],
    ["a tool_use without input", { ...minimal, messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f" }] }] }, "messages[0].content[0].input"],
    ["an unknown tool_choice", { ...minimal, tool_choice: { type: "sometimes" } }, "tool_choice"],
    ["a system block that is not text", { ...minimal, system: [{ type: "image" }] }, "system"],
    ["an image without data", { ...minimal, messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png" } }] }] }, "messages[0].content[0].source.data"],
    [
      "a tool result with a bad block",
      { ...minimal, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: 1 }] }] }] },
      "messages[0].content[0].content[0].text",
    ],
  ])("rejects %s with a 400 naming the field", (_, body, param) => {
    const err = rejection(body);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });

  it("reads system text, images, tool calls, tool results and sampling fields", () => {
    const request = parseMessagesRequest({
      model: "fast",
      max_tokens: 100,
      stream: true,
      system: [
        { type: "text", text: "Be brief." },
        { type: "text", text: "Be kind.", cache_control: { type: "ephemeral" } },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["END"],
      metadata: { user_id: "user-7" },
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these?" },
            { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
            { type: "image", source: { type: "url", url: "https://example.test/a.png" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "sig" },
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "look", input: { what: "a" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "a cat" }], is_error: false },
            { type: "text", text: "Thanks." },
          ],
        },
      ],
      tools: [
        { name: "look", description: "Looks", input_schema: { type: "object", properties: { what: { type: "string" } } } },
        { type: "web_search_20250305", name: "web_search", max_uses: 2 },
      ],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      output_config: { format: { type: "json_schema", schema: { type: "object" } } },
      top_k: 5,
    });
    expect(request.messages).toEqual([
      { role: "system", content: "Be brief.Be kind." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these?" },
          { type: "image", url: "data:image/jpeg;base64,/9j/4AAQ" },
          { type: "image", url: "https://example.test/a.png" },
        ],
      },
      { role: "assistant", content: "Checking.", toolCalls: [{ id: "toolu_1", name: "look", arguments: '{"what":"a"}' }] },
      { role: "tool", toolCallId: "toolu_1", content: "a cat" },
      { role: "user", content: "Thanks." },
    ]);
    expect(request).toMatchObject({
      stream: true,
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stop: ["END"],
      endUser: "user-7",
      tools: [{ name: "look", description: "Looks", parameters: { type: "object", properties: { what: { type: "string" } } } }],
      toolChoice: "required",
      responseFormat: { type: "json_schema", name: "output", schema: { type: "object" } },
    });
    expect(request.dropped).toEqual(expect.arrayContaining(["system[].cache_control", "thinking blocks", "tool_choice.disable_parallel_tool_use", "top_k"]));
    expect(request.providerOnly).toEqual(["web_search_20250305"]);
  });

  it("maps every tool_choice", () => {
    const choice = (tool_choice: unknown) => parseMessagesRequest({ ...minimal, tool_choice }).toolChoice;
    expect(choice({ type: "auto" })).toBe("auto");
    expect(choice({ type: "any" })).toBe("required");
    expect(choice({ type: "none" })).toBe("none");
    expect(choice({ type: "tool", name: "f" })).toEqual({ name: "f" });
  });

  it("keeps blocks it does not model as opaque parts and says so", () => {
    const request = parseMessagesRequest({
      ...minimal,
      messages: [
        {
          role: "user",
          content: [
            { type: "document", source: { type: "text", media_type: "text/plain", data: "doc" } },
            { type: "text", text: "Summarise." },
          ],
        },
      ],
    });
    expect(request.messages[0]?.content).toEqual([
      { type: "other", raw: { type: "document", source: { type: "text", media_type: "text/plain", data: "doc" } } },
      { type: "text", text: "Summarise." },
    ]);
    expect(request.dropped).toContain("document blocks");
  });

  it("rejects assistant-only blocks in a user turn", () => {
    expect(rejection({ ...minimal, messages: [{ role: "user", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }] })).toMatchObject({ param: "messages[0].content[0].type" });
  });
});

/** Alternating conversations of text, tool_use and tool_result turns, as a Messages client sends them. */
const text = fc.string({ minLength: 1, maxLength: 12 });
const toolId = fc.stringMatching(/^toolu_[a-z0-9]{4}$/);
const userTurn = fc.array(fc.record({ type: fc.constant("text"), text }), { minLength: 1, maxLength: 3 }).map((content) => ({ role: "user", content }));
const assistantTurn = fc
  .tuple(
    fc.option(text, { nil: undefined }),
    fc.array(fc.record({ type: fc.constant("tool_use"), id: toolId, name: fc.constantFrom("f", "g"), input: fc.dictionary(fc.constantFrom("a", "b"), fc.integer()) }), { maxLength: 2 }),
  )
  .filter(([t, calls]) => t !== undefined || calls.length > 0)
  .map(([t, calls]) => ({ role: "assistant", content: [...(t !== undefined ? [{ type: "text", text: t }] : []), ...calls] }));

describe("Messages → canonical → Messages", () => {
  it("gives back the conversation (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(userTurn, assistantTurn), { minLength: 1, maxLength: 4 }), userTurn, (pairs, last) => {
        // Each assistant turn's tool calls are answered at the start of the next user turn.
        const messages: Array<{ role: string; content: Array<Record<string, unknown>> }> = [];
        let pending: string[] = [];
        for (const [user, assistant] of [...pairs, [last, undefined] as const]) {
          messages.push({ role: "user", content: [...pending.map((id) => ({ type: "tool_result", tool_use_id: id, content: `result ${id}` })), ...user.content] });
          pending = [];
          if (assistant) {
            messages.push(assistant);
            pending = assistant.content.filter((b) => b.type === "tool_use").map((b) => (b as { id: string }).id);
          }
        }
        const body = { model: "m", max_tokens: 10, system: "sys", messages };
        const canonical = parseMessagesRequest(body);
        // As if the client had spoken another API: the adapter builds the body from canonical.
        const rebuilt = toMessagesBody({ ...canonical, inbound: { api: "openai-chat", body: {} } }, "m", { defaultMaxTokens: 1 });
        // Consecutive text blocks come back joined into one (canonical holds a turn's text as one string).
        const joinTexts = (content: Array<Record<string, unknown>>) =>
          content.reduce<Array<Record<string, unknown>>>((out, b) => {
            const prev = out.at(-1);
            if (b.type === "text" && prev?.type === "text") prev.text = String(prev.text) + String(b.text);
            else out.push({ ...b });
            return out;
          }, []);
        expect(rebuilt).toEqual({ model: "m", max_tokens: 10, system: "sys", messages: messages.map((m) => ({ role: m.role, content: joinTexts(m.content) })) });
      }),
      { numRuns: 200 },
    );
  });
});
