import { describe, expect, test } from "vitest";
import { ConfigError, resolveConfig } from "./resolve.js";

const minimal = {
  providers: { up: { type: "openai", baseURL: "http://127.0.0.1:9999/v1", apiKey: "env:UP_KEY" } },
  models: { fast: { targets: [{ provider: "up", model: "gpt-4o-mini" }] } },
};

function issuesOf(input: unknown, env: Record<string, string> = {}): { path: string; message: string }[] {
  try {
    resolveConfig(input, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveConfig", () => {
  test("resolves env secrets both ways and fills defaults", () => {
    const config = resolveConfig(
      { ...minimal, auth: { keys: [{ env: "CLIENT" }] }, models: { fast: { targets: minimal.models.fast.targets, timeouts: { idleMs: 5 } } } },
      { UP_KEY: "sk-up", CLIENT: "tg-client" },
    );
    expect(config.providers.up).toMatchObject({ type: "openai", apiKey: "sk-up", baseURL: "http://127.0.0.1:9999/v1" });
    expect(config.clientKeys).toEqual(["tg-client"]);
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 8787 });
    expect(config.models.fast!.timeouts.idleMs).toBe(5);
    expect(config.models.fast!.timeouts.connectMs).toBe(10_000);
    expect(config.models.fast!.retry.maxRetries).toBe(2);
  });

  test("a missing environment variable is an error at its path", () => {
    expect(issuesOf(minimal)).toEqual([{ path: "providers.up.apiKey", message: "Environment variable UP_KEY is not set." }]);
  });

  test("names every bad path, including unknown providers and fields", () => {
    const issues = issuesOf({
      providers: { up: { type: "openai", baseURL: "not a url" }, odd: { type: "nope" } },
      models: { fast: { targets: [{ provider: "missing", model: "x" }] }, empty: { targets: [] } },
      extra: true,
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toContain("providers.up.baseURL");
    expect(paths).toContain("providers.odd.type");
    expect(paths).toContain("models.empty.targets");
    expect(paths).toContain("");
  });

  test("cross-references targets to providers", () => {
    const issues = issuesOf({ ...minimal, models: { fast: { targets: [{ provider: "backup", model: "x" }] } } }, { UP_KEY: "k" });
    expect(issues).toEqual([{ path: "models.fast.targets[0].provider", message: expect.stringContaining('Unknown provider "backup"') }]);
  });

  test("openai-compatible takes a preset's base URL", () => {
    const config = resolveConfig({ providers: { ds: { type: "openai-compatible", preset: "mistral" } }, models: { m: { targets: [{ provider: "ds", model: "mistral-small" }] } } }, {});
    expect(config.providers.ds).toMatchObject({ baseURL: "https://api.mistral.ai/v1", streamUsageOption: false });
    expect(issuesOf({ providers: { ds: { type: "openai-compatible" } }, models: { m: { targets: [{ provider: "ds", model: "x" }] } } })[0]!.path).toBe("providers.ds.baseURL");
  });
});

test("schema errors and unset environment variables are reported together", () => {
  const issues = issuesOf({ providers: { up: { type: "openai", apiKey: "env:NOPE" } }, models: { fast: { targets: [{ provider: "up", model: 1 }] } } });
  expect(issues.map((i) => i.path)).toEqual(["models.fast.targets[0].model", "providers.up.apiKey"]);
});
