import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { ConfigError, resolveConfig } from "./resolve.js";

const route = (provider: string, model: string) => ({ targets: [{ provider, model }] });

function issuesOf(input: unknown, env: Record<string, string> = {}): { path: string; message: string }[] {
  try {
    resolveConfig(input, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("bedrock and vertex providers in the config", () => {
  test("defaults: Bedrock's regional endpoint, Vertex's location; secrets from the environment", () => {
    const config = resolveConfig(
      {
        providers: {
          aws: { type: "bedrock", region: "eu-central-1", profile: "prod" },
          awsKey: { type: "bedrock", region: "us-west-2", apiKey: "env:BEDROCK_KEY", baseURL: "https://vpce-1.bedrock-runtime.us-west-2.vpce.amazonaws.com/" },
          gcp: { type: "vertex", project: "p" },
          gcpToken: { type: "vertex", project: "p", location: "global", accessToken: { env: "VERTEX_TOKEN" } },
        },
        models: { m: route("aws", "amazon.nova-lite-v1:0") },
      },
      { BEDROCK_KEY: "ABSK-key", VERTEX_TOKEN: "ya29.token" },
    );
    expect(config.providers.aws).toEqual({
      type: "bedrock",
      name: "aws",
      region: "eu-central-1",
      profile: "prod",
      baseURL: "https://bedrock-runtime.eu-central-1.amazonaws.com",
      headers: {},
      defaultMaxTokens: 4096,
    });
    expect(config.providers.awsKey).toMatchObject({ apiKey: "ABSK-key", baseURL: "https://vpce-1.bedrock-runtime.us-west-2.vpce.amazonaws.com" });
    expect(config.providers.gcp).toEqual({ type: "vertex", name: "gcp", project: "p", location: "us-central1", headers: {}, defaultMaxTokens: 4096 });
    expect(config.providers.gcpToken).toMatchObject({ location: "global", accessToken: "ya29.token" });
  });

  test("a bad region or location, a missing project, an unset secret: each named by its path", () => {
    const issues = issuesOf({
      providers: {
        aws: { type: "bedrock", region: "virginia" },
        gcp: { type: "vertex", location: "Europe West" },
      },
      models: { m: route("aws", "x") },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(["providers.aws.region", "providers.gcp.location", "providers.gcp.project"]);
    expect(issuesOf({ providers: { aws: { type: "bedrock", region: "us-east-1", apiKey: "env:UNSET_BEDROCK" } }, models: { m: route("aws", "x") } })).toEqual([
      { path: "providers.aws.apiKey", message: "Environment variable UNSET_BEDROCK is not set." },
    ]);
  });

  test("config/example.yaml is a valid config", () => {
    const example = parseYaml(readFileSync(new URL("../../config/example.yaml", import.meta.url), "utf8")) as unknown;
    const env = Object.fromEntries(
      [
        "TOLLGATE_CLIENT_KEY",
        "OPENAI_API_KEY",
        "DEEPSEEK_API_KEY",
        "GEMINI_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "AWS_BEARER_TOKEN_BEDROCK",
        "ALERTS_WEBHOOK_SECRET",
        "ALERTS_WEBHOOK_URL",
        "SLACK_WEBHOOK_URL",
      ].map((k) => [k, k.endsWith("_URL") ? "https://hooks.example.com/tollgate" : `value-of-${k}`]),
    );
    const config = resolveConfig(example, env);
    expect(config.providers.bedrock).toMatchObject({ type: "bedrock", region: "us-east-1", profile: "prod" });
    expect(config.providers.vertex).toMatchObject({ type: "vertex", location: "global" });
    // The example shows the current names only.
    expect(config.warnings).toEqual([]);
  });
});
