import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { ConfigError, resolveConfig } from "./resolve.js";

const providers = { up: { type: "openai", baseURL: "http://127.0.0.1:9999/v1", apiKey: "env:UP_KEY" } };
const route = { targets: [{ provider: "up", model: "gpt-4o-mini" }] };
const env = { UP_KEY: "sk-up", CLIENT: "tg-client" };
const base = { providers, routes: { fast: route } };

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    resolveConfig(input, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("old config names", () => {
  test("the new names resolve with no warning", () => {
    const config = resolveConfig(
      {
        ...base,
        routes: { fast: { ...route, cache: { exact: { ttlMs: 60_000 }, semantic: { embeddingRoute: "fast", ttlMs: 30_000 } } } },
        idempotency: { retentionMs: 5_000, store: "database" },
        cache: { store: "database" },
        auth: { keys: ["env:CLIENT"] },
      },
      env,
    );
    expect(config.warnings).toEqual([]);
    expect(config.models.fast!.cache).toMatchObject({ exact: { ttlMs: 60_000 }, semantic: { ttlMs: 30_000 } });
    expect(config.idempotency).toMatchObject({ retentionMs: 5_000, store: "database" });
    expect(config.cache.store).toBe("database");
    expect(config.clientKeys).toEqual(["tg-client"]);
  });

  test("models: read as routes, with a warning naming routes", () => {
    const config = resolveConfig({ providers, models: { fast: route } }, env);
    expect(Object.keys(config.models)).toEqual(["fast"]);
    expect(config.warnings).toEqual([expect.stringMatching(/^models is now routes;/)]);
  });

  test("models: issues keep the name the file used; both names set is an issue", () => {
    expect(issuesOf({ providers, models: { fast: { targets: [{ provider: "nope", model: "x" }] } } })).toEqual([
      { path: "models.fast.targets[0].provider", message: expect.stringContaining('Unknown provider "nope"') },
    ]);
    expect(issuesOf({ ...base, models: { fast: route } })).toEqual([{ path: "models", message: expect.stringContaining('set only "routes"') }]);
  });

  test("cache ttlSeconds: read as ttlMs (times 1000), with a warning naming ttlMs", () => {
    const config = resolveConfig({ ...base, routes: { fast: { ...route, cache: { exact: { ttlSeconds: 60 }, semantic: { embeddingRoute: "fast", ttlSeconds: 30 } } } } }, env);
    expect(config.models.fast!.cache).toMatchObject({ exact: { ttlMs: 60_000 }, semantic: { ttlMs: 30_000 } });
    expect(config.warnings).toEqual([
      expect.stringMatching(/^routes\.fast\.cache\.exact\.ttlSeconds is now routes\.fast\.cache\.exact\.ttlMs \(in milliseconds\)/),
      expect.stringMatching(/^routes\.fast\.cache\.semantic\.ttlSeconds is now routes\.fast\.cache\.semantic\.ttlMs/),
    ]);
  });

  test("idempotency.retentionSeconds: read as retentionMs (times 1000), with a warning naming retentionMs", () => {
    const config = resolveConfig({ ...base, idempotency: { retentionSeconds: 60 } }, env);
    expect(config.idempotency.retentionMs).toBe(60_000);
    expect(config.warnings).toEqual([expect.stringMatching(/^idempotency\.retentionSeconds is now idempotency\.retentionMs/)]);
    expect(issuesOf({ ...base, idempotency: { retentionSeconds: 60, retentionMs: 60_000 } })).toEqual([{ path: "idempotency.retentionSeconds", message: expect.stringContaining("retentionMs") }]);
  });

  test('idempotency.store "sql" and cache.store "sqlite": read as "database", with a warning naming it', () => {
    const config = resolveConfig({ ...base, idempotency: { store: "sql" }, cache: { store: "sqlite" } }, env);
    expect(config.idempotency.store).toBe("database");
    expect(config.cache.store).toBe("database");
    expect(config.warnings).toEqual([expect.stringMatching(/^idempotency\.store: "sql" is now "database"/), expect.stringMatching(/^cache\.store: "sqlite" is now "database"/)]);
  });

  test('{ env: NAME } secrets: read as "env:NAME", with one warning naming that spelling and every place', () => {
    const config = resolveConfig({ ...base, providers: { up: { ...providers.up, apiKey: { env: "UP_KEY" } } }, auth: { keys: [{ env: "CLIENT" }] } }, env);
    expect(config.providers.up).toMatchObject({ apiKey: "sk-up" });
    expect(config.clientKeys).toEqual(["tg-client"]);
    expect(config.warnings).toEqual([expect.stringMatching(/^providers\.up\.apiKey, auth\.keys\[0\]: \{ env: NAME \} is now written "env:NAME"/)]);
  });

  test("a tool's body template may hold an env field: it is the user's JSON, not a secret", () => {
    const tools = { lookup: { type: "http", description: "d", url: "http://127.0.0.1:1/x", method: "POST", body: { env: "{stage}" } } };
    expect(resolveConfig({ ...base, tools }, env).warnings).toEqual([]);
  });

  test("the caller's object is left as written", () => {
    const input = { providers, models: { fast: { ...route, cache: { exact: { ttlSeconds: 60 } } } }, idempotency: { store: "sql" } };
    const copy = structuredClone(input);
    resolveConfig(input, env);
    expect(input).toEqual(copy);
  });
});

test("the built-in config uses the current names only", () => {
  const builtIn = parseYaml(readFileSync(new URL("../../config/default.yaml", import.meta.url), "utf8")) as unknown;
  expect(resolveConfig(builtIn, {}).warnings).toEqual([]);
});
