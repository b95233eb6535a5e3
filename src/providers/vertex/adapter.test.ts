import { describe, expect, it } from "vitest";
import type { CanonicalRequest, Message } from "../../spec/canonical-request.js";
import { adapterFor } from "../provider.js";
import { createVertexAdapter, VERTEX_ANTHROPIC_VERSION } from "./adapter.js";

function req(messages: Message[], extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: "route", messages, stream: false, includeUsage: false, inbound: { api: "openai-chat", body: {} }, ...extra };
}
const regional = createVertexAdapter({ project: "my-proj", location: "europe-west4", headers: {}, defaultMaxTokens: 512 });
const global = createVertexAdapter({ project: "my-proj", location: "global", headers: {}, defaultMaxTokens: 512 });
const spec = (adapter: typeof regional, r: CanonicalRequest, model: string) => adapterFor(adapter, r, model).buildRequest(r, model);

describe("Vertex: URLs", () => {
  it("Gemini under the google publisher, on the regional host or the global one", () => {
    const r = req([{ role: "user", content: "hi" }]);
    expect(spec(regional, r, "gemini-2.5-flash").url).toBe(
      "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent",
    );
    expect(spec(global, { ...r, stream: true }, "gemini-3-pro-preview").url).toBe(
      "https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global/publishers/google/models/gemini-3-pro-preview:streamGenerateContent?alt=sse",
    );
    // The google adapter's body, unchanged.
    expect(JSON.parse(spec(regional, r, "gemini-2.5-flash").body)).toEqual({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    expect(adapterFor(regional, r, "gemini-2.5-flash").nativeApi).toBe("gemini");
  });

  it("Claude through rawPredict / streamRawPredict with Anthropic's body, the model in the path and vertex-2023-10-16", () => {
    const r = req([{ role: "user", content: "hi" }], { maxOutputTokens: 100 });
    const once = spec(regional, r, "claude-sonnet-4-5@20250929");
    expect(once.url).toBe("https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4-5%4020250929:rawPredict");
    expect(JSON.parse(once.body)).toEqual({ anthropic_version: VERTEX_ANTHROPIC_VERSION, max_tokens: 100, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
    const streamed = spec(global, { ...r, stream: true }, "claude-haiku-4-5@20251001");
    expect(streamed.url).toMatch(/^https:\/\/aiplatform\.googleapis\.com\/v1\/projects\/my-proj\/locations\/global\/publishers\/anthropic\/models\/claude-haiku-4-5%4020251001:streamRawPredict$/);
    expect(JSON.parse(streamed.body)).toMatchObject({ anthropic_version: VERTEX_ANTHROPIC_VERSION, stream: true });
    // A Messages client's own body reaches Claude as sent, without the model field.
    const inbound = { model: "route", max_tokens: 9, messages: [{ role: "user", content: "hi" }], top_k: 3 };
    const messages = req([{ role: "user", content: "hi" }], { inbound: { api: "anthropic-messages", body: inbound } });
    expect(JSON.parse(spec(regional, messages, "claude-sonnet-4-5@20250929").body)).toEqual({
      anthropic_version: VERTEX_ANTHROPIC_VERSION,
      max_tokens: 9,
      messages: [{ role: "user", content: "hi" }],
      top_k: 3,
    });
    expect(adapterFor(regional, messages, "claude-sonnet-4-5@20250929").nativeApi).toBe("anthropic-messages");
  });

  it("a baseURL replaces the host and version, not the resource path", () => {
    const proxied = createVertexAdapter({ project: "p", location: "us-central1", baseURL: "http://127.0.0.1:9/vertex/v1", headers: {}, defaultMaxTokens: 1 });
    expect(spec(proxied, req([{ role: "user", content: "hi" }]), "gemini-2.5-pro").url).toBe(
      "http://127.0.0.1:9/vertex/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent",
    );
  });
});

describe("Vertex: embeddings and errors", () => {
  it("text embeddings through predict, token counts summed into the usage", () => {
    const r = req([], { embedding: { input: ["a", "b"], dimensions: 64 } });
    const built = regional.buildEmbeddingRequest!(r, "text-embedding-005");
    expect(built.url).toMatch(/\/publishers\/google\/models\/text-embedding-005:predict$/);
    expect(JSON.parse(built.body)).toEqual({ instances: [{ content: "a" }, { content: "b" }], parameters: { outputDimensionality: 64 } });
    const parsed = regional.parseEmbeddingResponse!({
      predictions: [{ embeddings: { values: [0.5], statistics: { token_count: 1, truncated: false } } }, { embeddings: { values: [0.25], statistics: { token_count: 2 } } }],
    });
    expect(parsed).toEqual({
      model: "",
      vectors: [[0.5], [0.25]],
      rawEncoding: "float",
      usage: { inputTokens: 3, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" },
    });
    expect(() => regional.buildEmbeddingRequest!(req([], { embedding: { input: [[1]] } }), "text-embedding-005")).toThrow(/token arrays/);
  });

  it("Google's error body for Vertex's own refusals, Anthropic's for Claude's", () => {
    expect(regional.parseError(403, JSON.stringify({ error: { code: 403, message: "Permission denied on resource project p.", status: "PERMISSION_DENIED" } }))).toMatchObject({
      message: "Permission denied on resource project p.",
      code: "permission_denied",
    });
    expect(regional.parseError(529, JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }))).toMatchObject({ message: "Overloaded", type: "overloaded_error" });
  });
});
