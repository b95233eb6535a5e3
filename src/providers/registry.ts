import type { ResolvedProvider } from "../config/resolve.js";
import { createOpenAIChatAdapter } from "./openai/adapter.js";
import type { Provider } from "./provider.js";
import { createSimulatorProvider } from "./simulator/index.js";
import type { Transport } from "./transport.js";

/** Builds each configured provider from its adapter and its transport. */
export function createProviders(configs: Record<string, ResolvedProvider>, http: Transport): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  for (const [name, config] of Object.entries(configs)) {
    if (config.type === "simulator") {
      // The simulator speaks Chat Completions from inside the process, so the same parser,
      // timeouts and retries run as for a real upstream.
      providers.set(name, createSimulatorProvider(config));
    } else {
      const adapter = createOpenAIChatAdapter({ baseURL: config.baseURL, headers: config.headers, streamUsageOption: config.streamUsageOption, maxTokensField: config.type === "openai" ? "max_completion_tokens" : "max_tokens", ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
      providers.set(name, { name, type: config.type, adapter, transport: http });
    }
  }
  return providers;
}
