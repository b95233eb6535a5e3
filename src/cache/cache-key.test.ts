import { describe, expect, test } from "vitest";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { openaiResponsesCodec } from "../apis/openai-responses/codec.js";
import { exactKey, lastUserText, semanticPartition } from "./cache-key.js";

const chat = (body: Record<string, unknown>) => openaiChatCodec.parseRequest({ model: "m", messages: [{ role: "user", content: "What is 2+2?" }], ...body });
const key = (body: Record<string, unknown>, tenant = "team:a", route = "m") => exactKey(tenant, route, chat(body));

describe("exactKey", () => {
  test("is the same whatever the client streams, whoever it names as user, and whichever API it speaks", () => {
    const base = key({});
    expect(key({ stream: true, stream_options: { include_usage: true } })).toBe(base);
    expect(key({ user: "someone", metadata: { a: "b" }, store: true })).toBe(base);
    expect(exactKey("team:a", "m", openaiResponsesCodec.parseRequest({ model: "m", input: [{ role: "user", content: "What is 2+2?" }] }))).toBe(base);
    expect(exactKey("team:a", "m", anthropicMessagesCodec.parseRequest({ model: "m", max_tokens: 100, messages: [{ role: "user", content: "What is 2+2?" }] }))).toBe(key({ max_tokens: 100 }));
  });

  test("changes with the tenant, the route, the conversation and every output-shaping parameter", () => {
    const keys = [
      key({}),
      key({}, "team:b"),
      key({}, "team:a", "other-route"),
      key({ messages: [{ role: "user", content: "What is 2+3?" }] }),
      key({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "What is 2+2?" },
        ],
      }),
      key({ temperature: 0 }),
      key({ top_p: 0.5 }),
      key({ max_tokens: 10 }),
      key({ stop: ["\n"] }),
      key({ seed: 7 }),
      key({ n: 2 }),
      key({ tools: [{ type: "function", function: { name: "f" } }] }),
      key({ tools: [{ type: "function", function: { name: "f" } }], tool_choice: "required" }),
      key({ response_format: { type: "json_object" } }),
      // Not modelled by the canonical request, but it reaches a same-format upstream.
      key({ reasoning_effort: "high" }),
      key({ frequency_penalty: 1 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("does not depend on the order of the client's object keys", () => {
    const a = key({ response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object", properties: { a: { type: "string" }, b: { type: "number" } } } } } });
    const b = key({ response_format: { json_schema: { schema: { properties: { b: { type: "number" }, a: { type: "string" } }, type: "object" }, name: "s" }, type: "json_schema" } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("semanticPartition", () => {
  test("ignores the wording of the last user turn, and nothing else", () => {
    const partition = (body: Record<string, unknown>, tenant = "team:a") => semanticPartition(tenant, "m", chat(body));
    const base = partition({});
    expect(partition({ messages: [{ role: "user", content: "what's two plus two" }] })).toBe(base);
    expect(partition({}, "team:b")).not.toBe(base);
    expect(partition({ temperature: 0.2 })).not.toBe(base);
    expect(
      partition({
        messages: [
          { role: "system", content: "Answer in French." },
          { role: "user", content: "What is 2+2?" },
        ],
      }),
    ).not.toBe(base);
  });
});

describe("lastUserText", () => {
  test("is the last turn's text when the user wrote it, else nothing", () => {
    expect(
      lastUserText(
        chat({
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "a" },
                { type: "text", text: "b" },
              ],
            },
          ],
        }),
      ),
    ).toBe("a\nb");
    expect(
      lastUserText(
        chat({
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "a" },
                { type: "image_url", image_url: { url: "https://x/y.png" } },
              ],
            },
          ],
        }),
      ),
    ).toBeUndefined();
    expect(
      lastUserText(
        chat({
          messages: [
            { role: "user", content: "q" },
            { role: "assistant", content: "a" },
          ],
        }),
      ),
    ).toBeUndefined();
    expect(lastUserText(chat({ messages: [{ role: "user", content: "   " }] }))).toBeUndefined();
  });
});
