import { createOpenAIChatAdapter, type OpenAIEndpoint } from "../openai/adapter.js";
import type { ProviderAdapter } from "../provider.js";

export interface AzureOpenAIAdapterConfig {
  /** https://NAME.openai.azure.com, without a trailing slash. */
  endpoint: string;
  apiKey?: string;
  apiVersion: string;
  /** Deployment name per model name; a model not listed is its own deployment name. */
  deployments: Record<string, string>;
  headers: Record<string, string>;
}

/** The URL of an Azure OpenAI endpoint: the deployment is in the path, the API version in the query. */
function azureEndpointURL(config: Pick<AzureOpenAIAdapterConfig, "endpoint" | "apiVersion" | "deployments">, endpoint: OpenAIEndpoint, model: string): string {
  const deployment = Object.hasOwn(config.deployments, model) ? config.deployments[model]! : model;
  return `${config.endpoint}/openai/deployments/${encodeURIComponent(deployment)}/${endpoint}?api-version=${encodeURIComponent(config.apiVersion)}`;
}

/**
 * Azure OpenAI: OpenAI's Chat Completions and embeddings wire format, with the key in
 * `api-key` (not Authorization) and the deployment in the URL.
 */
export function createAzureOpenAIAdapter(config: AzureOpenAIAdapterConfig): ProviderAdapter {
  return createOpenAIChatAdapter({
    baseURL: config.endpoint,
    headers: config.headers,
    // Azure has taken stream_options and max_completion_tokens since api-version 2024-10-21.
    streamUsageOption: true,
    maxTokensField: "max_completion_tokens",
    endpointURL: (endpoint, model) => azureEndpointURL(config, endpoint, model),
    authHeader: "api-key",
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  });
}
