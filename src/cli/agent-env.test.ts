import { describe, expect, it } from "vitest";
import { agentLaunch } from "./agent-env.js";

describe("agentLaunch", () => {
  it("points Claude Code at the gateway with Anthropic's variables", () => {
    expect(agentLaunch("claude", "http://127.0.0.1:8787/", "tg_k")).toEqual({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:8787", ANTHROPIC_API_KEY: "tg_k" }, args: [] });
  });

  it("gives Codex a Responses provider on the gateway, its key from the environment", () => {
    const { env, args } = agentLaunch("codex", "http://127.0.0.1:8787", "tg_k");
    expect(env).toEqual({ TOLLGATE_API_KEY: "tg_k" });
    expect(args).toEqual([
      "-c",
      'model_provider="tollgate"',
      "-c",
      'model_providers.tollgate={ name = "Tollgate", base_url = "http://127.0.0.1:8787/v1", env_key = "TOLLGATE_API_KEY", wire_api = "responses" }',
    ]);
    expect(args.join(" ")).not.toContain("tg_k");
  });

  it("points Gemini CLI at the gateway with Google's variables", () => {
    expect(agentLaunch("gemini", "http://127.0.0.1:8787", "tg_k").env).toEqual({ GOOGLE_GEMINI_BASE_URL: "http://127.0.0.1:8787", GEMINI_API_KEY: "tg_k" });
  });
});
