import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chatRequest, parseChatRequest } from "./parse-request.js";
import { isPlainChatBody, PLAIN_FIELDS, PLAIN_MESSAGE_FIELDS, SCHEMA_ONLY_FIELDS } from "./plain-body.js";

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

  it("knows every field of the schema: one the schema gains is refused here until it is checked", () => {
    expect([...PLAIN_FIELDS, ...SCHEMA_ONLY_FIELDS].sort()).toEqual(Object.keys(chatRequest.shape).sort());
    expect([...PLAIN_MESSAGE_FIELDS].sort()).toEqual(Object.keys(chatRequest.shape.messages.element.shape).sort());
  });

  it("accepts nothing the schema would refuse or change (fuzz)", () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.boolean(),
      fc.string({ maxLength: 3 }),
      fc.constantFrom("system", "developer", "user", "assistant", "tool", "robot", ""),
      fc.constantFrom(0, 1, 2, 3, -0.5, 0.5, 1.5, 2.5, 2 ** 53, 2 ** 60, Number.NaN),
      fc.integer({ min: -5, max: 300 }),
      fc.constant([]),
      fc.constant({}),
      fc.constant({ include_usage: true }),
      fc.constant({ include_usage: "yes" }),
    );
    // Mostly absent or valid, sometimes an edge value: the check must accept bodies for the property to say anything.
    const field = (valid: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: valid }, { weight: 1, arbitrary: value });
    const text = fc.string({ maxLength: 3 });
    const message = fc.record({
      role: fc.oneof({ weight: 5, arbitrary: fc.constantFrom("system", "developer", "user", "assistant", "tool") }, { weight: 1, arbitrary: value }),
      content: field(fc.oneof(text, fc.constant(null))),
      name: field(text),
      tool_calls: field(fc.constant(null)),
      tool_call_id: field(text),
    });
    const body = fc.record({
      model: fc.oneof({ weight: 5, arbitrary: fc.constantFrom("m", "gpt-4o") }, { weight: 1, arbitrary: value }),
      messages: fc.oneof(
        { weight: 5, arbitrary: fc.array(fc.oneof({ weight: 5, arbitrary: message }, { weight: 1, arbitrary: value }), { minLength: 1, maxLength: 3 }) },
        { weight: 1, arbitrary: value },
      ),
      stream: field(fc.boolean()),
      stream_options: field(fc.record({ include_usage: field(fc.boolean()) })),
      max_tokens: field(fc.integer({ min: 1, max: 4096 })),
      max_completion_tokens: field(fc.integer({ min: 1, max: 4096 })),
      temperature: field(fc.double({ min: 0, max: 2, noNaN: true })),
      top_p: field(fc.double({ min: 0, max: 1, noNaN: true })),
      ...Object.fromEntries(SCHEMA_ONLY_FIELDS.map((f) => [f, fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value })])),
      user: field(text),
    });
    let accepted = 0;
    fc.assert(
      fc.property(body, (b) => {
        const input = b as Record<string, unknown>;
        if (!isPlainChatBody(input)) return;
        accepted++;
        const parsed = chatRequest.safeParse(input);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(input);
      }),
      { numRuns: 5_000 },
    );
    // The property held on bodies the check accepted, not only on refused ones.
    expect(accepted).toBeGreaterThan(20);
  });
});
