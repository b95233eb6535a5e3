import { describe, expect, it } from "vitest";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import { createAnthropicAdapter } from "./anthropic/adapter.js";
import { createBedrockAdapter } from "./bedrock/adapter.js";
import { adapterFor } from "./provider.js";
import { createOpenAIChatAdapter } from "./openai/adapter.js";
import { upstreamIdempotencyKey, withUpstreamIdempotency } from "./upstream-idempotency.js";

const chat = createOpenAIChatAdapter({ baseURL: "http://up/v1", headers: {}, streamUsageOption: true });
const request = { ...openaiChatCodec.parseRequest({ model: "r", messages: [{ role: "user", content: "hi" }] }), idempotencyKey: "base-1" };

describe("withUpstreamIdempotency", () => {
  const keyed = withUpstreamIdempotency(chat, "idempotency-key");

  it("adds the same key each time the same request is built (every retry of an attempt)", () => {
    const first = keyed.buildRequest(request, "gpt-x");
    const again = keyed.buildRequest(request, "gpt-x");
    expect(first.headers["idempotency-key"]).toMatch(/^tg-[0-9a-f]{64}$/);
    expect(again.headers["idempotency-key"]).toBe(first.headers["idempotency-key"]);
    // Otherwise the request is the adapter's own.
    const plain = chat.buildRequest(request, "gpt-x");
    expect({ ...first, headers: { ...first.headers, "idempotency-key": undefined } }).toEqual({ ...plain, headers: { ...plain.headers, "idempotency-key": undefined } });
  });

  it("gives another base, target model or body its own key", () => {
    const key = (r: typeof request, model: string) => keyed.buildRequest(r, model).headers["idempotency-key"];
    const base = key(request, "gpt-x");
    expect(key({ ...request, idempotencyKey: "base-2" }, "gpt-x")).not.toBe(base);
    expect(key(request, "gpt-y")).not.toBe(base);
    expect(key({ ...request, temperature: 0.5, inbound: { ...request.inbound, body: { ...request.inbound.body, temperature: 0.5 } } }, "gpt-x")).not.toBe(base);
  });

  it("sends no key for a request without one, and keys embeddings too", () => {
    const { idempotencyKey: _, ...unkeyed } = request;
    expect(keyed.buildRequest(unkeyed, "gpt-x").headers).not.toHaveProperty("idempotency-key");
    const embedding = { ...request, messages: [], embedding: { input: ["a"] } };
    const spec = keyed.buildEmbeddingRequest!(embedding, "emb");
    expect(spec.headers["idempotency-key"]).toBe(upstreamIdempotencyKey("base-1", { ...spec, headers: {} }));
  });

  it("works for any adapter, in the header name configured", () => {
    const anthropic = withUpstreamIdempotency(createAnthropicAdapter({ baseURL: "http://up/v1", version: "2023-06-01", headers: {}, defaultMaxTokens: 100 }), "x-request-key");
    const parsed = { ...anthropicMessagesCodec.parseRequest({ model: "r", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }), idempotencyKey: "base-1" };
    expect(anthropic.buildRequest(parsed, "claude").headers["x-request-key"]).toMatch(/^tg-/);
    expect(anthropic.nativeApi).toBe("anthropic-messages");
    expect(anthropic.streamParser).toBeTypeOf("function");
  });

  it("keys the format a provider picks per request too (Bedrock's Claude body for a Messages client)", () => {
    const bedrock = withUpstreamIdempotency(createBedrockAdapter({ baseURL: "http://up", headers: {}, defaultMaxTokens: 100 }), "x-request-key");
    const parsed = { ...anthropicMessagesCodec.parseRequest({ model: "r", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }), idempotencyKey: "base-1" };
    const claude = adapterFor(bedrock, parsed, "anthropic.claude-haiku-4-5-20251001-v1:0");
    expect(claude.nativeApi).toBe("anthropic-messages");
    expect(claude.buildRequest(parsed, "anthropic.claude-haiku-4-5-20251001-v1:0").headers["x-request-key"]).toMatch(/^tg-/);
    const converse = adapterFor(bedrock, parsed, "amazon.nova-lite-v1:0");
    expect(converse).toBe(bedrock);
    expect(converse.buildRequest(parsed, "amazon.nova-lite-v1:0").headers["x-request-key"]).toMatch(/^tg-/);
  });
});
