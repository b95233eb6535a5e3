import type { ResolvedProvider, UpstreamIdempotency } from "../config/resolve.js";
import { createAnthropicAdapter } from "./anthropic/adapter.js";
import { createAzureOpenAIAdapter } from "./azure-openai/adapter.js";
import { createBedrockAdapter } from "./bedrock/adapter.js";
import { createBedrockAuthorizer } from "./bedrock/authorizer.js";
import { createGoogleAdapter } from "./google/adapter.js";
import { createOpenAIChatAdapter } from "./openai/adapter.js";
import { createOpenAIResponsesAdapter } from "./openai/responses-adapter.js";
import type { Provider, ProviderAdapter } from "./provider.js";
import { createSimulatorProvider } from "./simulator/index.js";
import { authorizedTransport, type Transport } from "../transport/http-transport.js";
import { createVertexAdapter } from "./vertex/adapter.js";
import { createVertexAuthorizer } from "./vertex/authorizer.js";
import { withUpstreamIdempotency } from "./upstream-idempotency.js";

/** The adapter, sending an idempotency key in the header the provider is configured with. */
function keyed(adapter: ProviderAdapter, config: UpstreamIdempotency): ProviderAdapter {
  return config.idempotencyHeader ? withUpstreamIdempotency(adapter, config.idempotencyHeader) : adapter;
}

/** Builds each configured provider from its adapter and its transport. */
export function createProviders(configs: Record<string, ResolvedProvider>, http: Transport): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  for (const [name, config] of Object.entries(configs)) {
    if (config.type === "anthropic") {
      const adapter = createAnthropicAdapter({
        baseURL: config.baseURL,
        version: config.version,
        headers: config.headers,
        defaultMaxTokens: config.defaultMaxTokens,
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      });
      providers.set(name, { name, type: config.type, adapter: keyed(adapter, config), transport: http });
    } else if (config.type === "google") {
      const adapter = createGoogleAdapter({ baseURL: config.baseURL, headers: config.headers, ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
      providers.set(name, { name, type: config.type, adapter: keyed(adapter, config), transport: http });
    } else if (config.type === "azure-openai") {
      const adapter = createAzureOpenAIAdapter({
        endpoint: config.endpoint,
        apiVersion: config.apiVersion,
        deployments: config.deployments,
        headers: config.headers,
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      });
      providers.set(name, { name, type: config.type, adapter: keyed(adapter, config), transport: http });
    } else if (config.type === "bedrock") {
      const adapter = createBedrockAdapter({ baseURL: config.baseURL, headers: config.headers, defaultMaxTokens: config.defaultMaxTokens });
      const authorize = createBedrockAuthorizer({ name, region: config.region, ...(config.profile ? { profile: config.profile } : {}), ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
      providers.set(name, { name, type: config.type, adapter: keyed(adapter, config), transport: authorizedTransport(http, authorize) });
    } else if (config.type === "vertex") {
      const { project, location, baseURL, headers, defaultMaxTokens, accessToken, keyFile, tokenURL } = config;
      const adapter = createVertexAdapter({ project, location, headers, defaultMaxTokens, ...(baseURL ? { baseURL } : {}) });
      const authorize = createVertexAuthorizer({ name, ...(accessToken ? { accessToken } : {}), ...(keyFile ? { keyFile } : {}), ...(tokenURL ? { tokenURL } : {}) });
      providers.set(name, { name, type: config.type, adapter: keyed(adapter, config), transport: authorizedTransport(http, authorize) });
    } else if (config.type === "simulator") {
      // The simulator speaks Chat Completions from inside the process, so the same parser,
      // timeouts and retries run as for a real upstream.
      providers.set(name, createSimulatorProvider(config));
    } else {
      const chat = createOpenAIChatAdapter({
        baseURL: config.baseURL,
        headers: config.headers,
        streamUsageOption: config.streamUsageOption,
        maxTokensField: config.type === "openai" ? "max_completion_tokens" : "max_tokens",
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      });
      const adapter =
        config.type === "openai" && config.api === "responses"
          ? // Embeddings are not part of the Responses API: they still go to /embeddings.
            {
              ...createOpenAIResponsesAdapter({ baseURL: config.baseURL, headers: config.headers, ...(config.apiKey ? { apiKey: config.apiKey } : {}) }),
              buildEmbeddingRequest: chat.buildEmbeddingRequest!,
              parseEmbeddingResponse: chat.parseEmbeddingResponse!,
            }
          : chat;
      providers.set(name, { name, type: config.type, adapter: keyed(adapter, config), transport: http });
    }
  }
  return providers;
}
