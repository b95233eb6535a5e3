import { describe, expect, it } from "vitest";
import { accumulateEvents } from "../../../test/support/canonical-events.js";
import { expectedFromChatChunks, loadChunks } from "../../../test/support/fixtures.js";
import { expectVerbatim, itReplays, replay } from "../../../test/support/replay.js";
import { resolveConfig } from "../../config/resolve.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { createProviders } from "../registry.js";
import { createAzureOpenAIAdapter } from "./adapter.js";

const adapter = createAzureOpenAIAdapter({
  endpoint: "https://contoso.openai.azure.com",
  apiKey: "azure-key-0123456789",
  apiVersion: "2024-10-21",
  deployments: { "gpt-4o": "prod-gpt4o" },
  headers: {},
});

const chat = (extra: Partial<CanonicalRequest> = {}): CanonicalRequest => ({
  model: "route",
  messages: [{ role: "user", content: "Capital of Denmark?" }],
  stream: true,
  includeUsage: false,
  inbound: { api: "openai-chat", body: { model: "route", messages: [{ role: "user", content: "Capital of Denmark?" }], stream: true } },
  ...extra,
});

describe("Azure OpenAI adapter", () => {
  it("puts the deployment in the path and the API version in the query", () => {
    expect(adapter.buildRequest(chat(), "gpt-4o").url).toBe("https://contoso.openai.azure.com/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21");
    // A model without a mapping is its own deployment.
    expect(adapter.buildRequest(chat(), "gpt-5-nano").url).toBe("https://contoso.openai.azure.com/openai/deployments/gpt-5-nano/chat/completions?api-version=2024-10-21");
    const embedding: CanonicalRequest = {
      model: "e",
      messages: [],
      stream: false,
      includeUsage: false,
      embedding: { input: ["a"] },
      inbound: { api: "openai-embeddings", body: { model: "e", input: "a" } },
    };
    expect(adapter.buildEmbeddingRequest!(embedding, "text-embedding-3-small").url).toBe(
      "https://contoso.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21",
    );
  });

  it("sends the key as api-key, never as Authorization", () => {
    const spec = adapter.buildRequest(chat(), "gpt-4o");
    expect(spec.headers["api-key"]).toBe("azure-key-0123456789");
    expect(spec.headers.authorization).toBeUndefined();
    expect(JSON.parse(spec.body)).toMatchObject({ model: "gpt-4o", stream: true, stream_options: { include_usage: true } });
  });

  it("is built from config: endpoint, default api version, deployments", () => {
    const config = resolveConfig(
      {
        providers: { az: { type: "azure-openai", endpoint: "https://contoso.openai.azure.com/", apiKey: "env:AZ", deployments: { small: "dep-small" } } },
        models: { m: { targets: [{ provider: "az", model: "small" }] } },
      },
      { AZ: "azure-secret-abcdef" },
    );
    expect(config.providers.az).toEqual({
      type: "azure-openai",
      name: "az",
      endpoint: "https://contoso.openai.azure.com",
      apiKey: "azure-secret-abcdef",
      apiVersion: "2024-10-21",
      deployments: { small: "dep-small" },
      headers: {},
    });
    const provider = createProviders(config.providers, { send: () => Promise.reject(new Error("unused")) }).get("az")!;
    const spec = provider.adapter.buildRequest(chat(), "small");
    expect(spec.url).toBe("https://contoso.openai.azure.com/openai/deployments/dep-small/chat/completions?api-version=2024-10-21");
    expect(spec.headers).toMatchObject({ "api-key": "azure-secret-abcdef" });
  });

  describe("replays azure-model-router.1 (content-filter results, an empty first chunk), split anywhere", () => {
    const recording = "openai-chat/azure-model-router.1.chunks.txt";
    const payloads = loadChunks(recording);
    const expected = expectedFromChatChunks(payloads);
    itReplays(
      recording,
      payloads,
      (pieces, context) => {
        const { results } = replay(adapter, pieces);
        expect(results.at(-1), context).toBeNull();
        const chunks = expectVerbatim(results.slice(0, -1), payloads, context);
        const got = accumulateEvents(chunks.flatMap((c) => c.events));
        expect(got.choices, context).toEqual(expected.choices);
        expect(got.usage, context).toEqual(expected.usage);
        expect(got.usage, context).toMatchObject({ inputTokens: 15, outputTokens: 78, reasoningTokens: 64 });
        // The first chunk (prompt filter results only) carries no content.
        expect(
          chunks[0]!.events.map((e) => e.type),
          context,
        ).toEqual(["response-start"]);
      },
      { randomRuns: 10, maxPieces: 40 },
    );
  });
});
