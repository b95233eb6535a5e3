import { internalsOf } from "../../gateway.js";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../../config/resolve.js";
import { createGateway } from "../../gateway.js";
import { createProviders } from "../registry.js";
import type { Transport } from "../../transport/http-transport.js";

const models = { claude: { targets: [{ provider: "ant", model: "claude-sonnet-4-5" }] } };

describe("the anthropic provider in the config", () => {
  it("has defaults for the base URL, version and max tokens", () => {
    const config = resolveConfig({ providers: { ant: { type: "anthropic", apiKey: "env:ANT" } }, models }, { ANT: "sk-ant-1" });
    expect(config.providers.ant).toEqual({ type: "anthropic", name: "ant", baseURL: "https://api.anthropic.com/v1", apiKey: "sk-ant-1", headers: {}, version: "2023-06-01", defaultMaxTokens: 4096 });
  });

  it("takes every option, secrets from the environment", () => {
    const config = resolveConfig(
      {
        providers: {
          ant: {
            type: "anthropic",
            baseURL: "https://proxy.test/anthropic/v1/",
            apiKey: { env: "ANT" },
            version: "2024-01-01",
            headers: { "Anthropic-Beta": "x", "X-Secret": "env:S" },
            defaultMaxTokens: 256,
          },
        },
        models,
      },
      { ANT: "sk-ant-2", S: "hidden" },
    );
    expect(config.providers.ant).toEqual({
      type: "anthropic",
      name: "ant",
      baseURL: "https://proxy.test/anthropic/v1",
      apiKey: "sk-ant-2",
      headers: { "anthropic-beta": "x", "x-secret": "hidden" },
      version: "2024-01-01",
      defaultMaxTokens: 256,
    });
  });

  it("rejects unknown fields and bad values, naming them", () => {
    expect(() => resolveConfig({ providers: { ant: { type: "anthropic", preset: "x" } }, models }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ providers: { ant: { type: "anthropic", defaultMaxTokens: 0 } }, models }, {})).toThrow(/providers\.ant\.defaultMaxTokens/);
    expect(() => resolveConfig({ providers: { ant: { type: "anthropic", apiKey: "env:MISSING" } }, models }, {})).toThrow(/providers\.ant\.apiKey: Environment variable MISSING is not set/);
  });

  it("the registry builds an Anthropic adapter on the HTTP transport", () => {
    const config = resolveConfig({ providers: { ant: { type: "anthropic", apiKey: "sk-ant-3" } }, models }, {});
    const http: Transport = { send: () => Promise.reject(new Error("unused")) };
    const provider = createProviders(config.providers, http).get("ant")!;
    expect(provider).toMatchObject({ name: "ant", type: "anthropic", transport: http });
    expect(provider.adapter.nativeApi).toBe("anthropic-messages");
  });

  it("its key and headers are redacted from error messages", async () => {
    const gateway = createGateway({
      config: { database: { url: "sqlite::memory:" }, providers: { ant: { type: "anthropic", apiKey: "sk-ant-very-secret-key", headers: { "x-extra": "another-secret-value" } } }, models },
    });
    try {
      expect(internalsOf(gateway).services.redactor.redact("key sk-ant-very-secret-key and another-secret-value")).not.toMatch(/very-secret|another-secret/);
    } finally {
      await gateway.close();
    }
  });
});
