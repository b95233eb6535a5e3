/** The coding agents `tollgate launch` starts. */
export const AGENTS = ["claude", "codex", "gemini"] as const;
export type Agent = (typeof AGENTS)[number];

export interface AgentLaunch {
  /** Environment variables added to the agent's own. */
  env: Record<string, string>;
  /** Arguments put before the user's (Codex takes its provider as config overrides). */
  args: string[];
}

/** The name of Codex's provider entry pointing at the gateway, and the variable its key is read from. */
const CODEX_PROVIDER = "tollgate";
const CODEX_KEY_ENV = "TOLLGATE_API_KEY";

/**
 * How each agent is pointed at the gateway with a key: Claude Code reads Anthropic's base
 * URL and key variables; Codex gets a Responses provider as `-c` overrides (its key from an
 * environment variable); Gemini CLI reads Google's base URL and key variables.
 */
export function agentLaunch(agent: Agent, gatewayUrl: string, key: string): AgentLaunch {
  const base = gatewayUrl.replace(/\/+$/, "");
  switch (agent) {
    case "claude":
      return { env: { ANTHROPIC_BASE_URL: base, ANTHROPIC_API_KEY: key }, args: [] };
    case "codex":
      return {
        env: { [CODEX_KEY_ENV]: key },
        args: [
          "-c",
          `model_provider="${CODEX_PROVIDER}"`,
          "-c",
          `model_providers.${CODEX_PROVIDER}={ name = "Tollgate", base_url = ${JSON.stringify(`${base}/v1`)}, env_key = "${CODEX_KEY_ENV}", wire_api = "responses" }`,
        ],
      };
    case "gemini":
      return { env: { GOOGLE_GEMINI_BASE_URL: base, GEMINI_API_KEY: key }, args: [] };
  }
}
