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

  test("server.basePath and server.cors.origins: paths and origins only", () => {
    const env = { UP_KEY: "k" };
    expect(resolveConfig({ ...minimal, server: { basePath: "/llm/v2", cors: { origins: ["https://app.example.com", "http://127.0.0.1:5173"] } } }, env).server).toMatchObject({
      basePath: "/llm/v2",
      cors: { origins: ["https://app.example.com", "http://127.0.0.1:5173"] },
    });
    expect(resolveConfig(minimal, env).server.cors).toEqual({ origins: [] });
    for (const basePath of ["llm", "/llm/", "/", "/a b"]) expect(issuesOf({ ...minimal, server: { basePath } }, env)[0]!.path).toBe("server.basePath");
    for (const origin of ["https://app.example.com/", "app.example.com", "https://app.example.com/path"])
      expect(issuesOf({ ...minimal, server: { cors: { origins: [origin] } } }, env)[0]!.path).toBe("server.cors.origins[0]");
  });
});

test("schema errors and unset environment variables are reported together", () => {
  const issues = issuesOf({ providers: { up: { type: "openai", apiKey: "env:NOPE" } }, models: { fast: { targets: [{ provider: "up", model: 1 }] } } });
  expect(issues.map((i) => i.path)).toEqual(["models.fast.targets[0].model", "providers.up.apiKey"]);
});

describe("cache", () => {
  const env = { UP_KEY: "k" };
  const semantic = (embeddingRoute: string) => ({ ...minimal, models: { fast: { ...minimal.models.fast, cache: { semantic: { embeddingRoute, ttlSeconds: 60 } } }, embed: minimal.models.fast } });

  test("keeps answers in the SQLite database by default, in memory when the database is Postgres", () => {
    const config = resolveConfig(semantic("embed"), env);
    expect(config.cache).toMatchObject({ store: "database", scope: "team", maxBytes: 64 * 1024 * 1024, vectorPath: ":memory:" });
    expect(config.models.fast!.cache).toEqual({ semantic: { embeddingRoute: "embed", ttlMs: 60_000, threshold: 0.95, maxTemperature: 0.3, allowTools: false } });
    expect(resolveConfig({ ...minimal, database: { url: "postgres://127.0.0.1/x" } }, env).cache.store).toBe("memory");
  });

  test("refuses a store that cannot work, and an unknown embedding route", () => {
    expect(issuesOf({ ...minimal, database: { url: "postgres://127.0.0.1/x" }, cache: { store: "sqlite" } }, env)).toEqual([{ path: "cache.store", message: expect.stringContaining("not SQLite") }]);
    expect(issuesOf({ ...minimal, cache: { store: "redis" } }, env)).toEqual([{ path: "cache.store", message: expect.stringContaining("redis.url") }]);
    expect(issuesOf(semantic("nope"), env)).toEqual([{ path: "models.fast.cache.semantic.embeddingRoute", message: expect.stringContaining('Unknown route "nope"') }]);
    expect(issuesOf({ ...minimal, models: { fast: { ...minimal.models.fast, cache: { exact: { ttlSeconds: 0 } } } } }, env)[0]!.path).toBe("models.fast.cache.exact.ttlSeconds");
  });
});
