import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { FakeGoogle } from "../support/fake-clouds.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { buildDist, killAll, removeTempDirs, runCli, tempDir, tempFile } from "../support/cli-process.js";

// `tollgate check` on cloud providers: credentials are fetched at run time, so check asks
// the same libraries the gateway uses and names each provider whose credentials are
// missing or expired (without printing a secret), and those that are fine.

const google = new FakeGoogle("/vertex/");
let tokens: FakeUpstream;

beforeAll(async () => {
  tokens = await createFakeUpstream({ gate: google.gate });
  await buildDist();
}, 120_000);
afterEach(killAll);
afterAll(async () => {
  await tokens?.close();
  removeTempDirs();
});

/** An environment where the AWS chain can only find what the test puts there (no files, no metadata endpoints). */
function awsEnv(extra: Record<string, string | undefined>): Record<string, string | undefined> {
  const dir = tempDir();
  return {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_CREDENTIAL_EXPIRATION: undefined,
    AWS_PROFILE: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"),
    AWS_CONFIG_FILE: path.join(dir, "config"),
    AWS_EC2_METADATA_DISABLED: "true",
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    ...extra,
  };
}

describe("tollgate check: cloud credentials", () => {
  test("missing and expired credentials are named by provider, exit 1; what was found is listed, no secret printed", async () => {
    const keyFile = tempFile("sa.json", google.keyFileJson);
    const config = tempFile(
      "clouds.yaml",
      [
        "providers:",
        "  aws-expired: { type: bedrock, region: us-east-1 }",
        "  aws-missing: { type: bedrock, region: us-east-1, profile: no-such-profile }",
        "  aws-key: { type: bedrock, region: us-east-1, apiKey: env:BEDROCK_KEY }",
        `  gcp-ok: { type: vertex, project: p, keyFile: ${JSON.stringify(keyFile)}, tokenURL: "${tokens.origin}${google.tokenPath}" }`,
        `  gcp-missing: { type: vertex, project: p, keyFile: ${JSON.stringify(path.join(tempDir(), "absent.json"))} }`,
        "models:",
        "  m: { targets: [{ provider: aws-expired, model: us.amazon.nova-pro-v1:0 }] }",
      ].join("\n"),
    );
    const expiredAt = new Date(Date.now() - 3_600_000).toISOString();
    const result = await runCli(["check", "--config", config], {
      env: awsEnv({
        AWS_ACCESS_KEY_ID: "ASIAEXPIRED000000042",
        AWS_SECRET_ACCESS_KEY: "expired-secret-value-0123456789",
        AWS_SESSION_TOKEN: "expired-session-token",
        AWS_CREDENTIAL_EXPIRATION: expiredAt,
        BEDROCK_KEY: "ABSKcheck-bedrock-key-0123456789",
      }),
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^ {2}providers\.aws-expired: the AWS credentials from the AWS credential chain \(access key …0042\) expired at /m);
    expect(result.stderr).toMatch(/^ {2}providers\.aws-missing: no AWS credentials from profile "no-such-profile": /m);
    expect(result.stderr).toMatch(/^ {2}providers\.gcp-missing: no Google access token from the key file .*absent\.json: /m);
    // Found: a token from the service-account key (its JWT grant checked by the fake endpoint).
    expect(result.stdout).toMatch(/^ {2}providers\.gcp-ok: a Google access token from the key file .*sa\.json\.$/m);
    expect(google.grants).toHaveLength(1);
    // An API key needs no lookup.
    expect(`${result.stdout}${result.stderr}`).not.toContain("aws-key");
    for (const secret of ["expired-secret-value", "expired-session-token", "ASIAEXPIRED000000042", "ABSKcheck", "ya29."]) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
  });

  test("credentials found everywhere: OK, exit 0", async () => {
    const config = tempFile("ok.yaml", ["providers:", "  aws: { type: bedrock, region: eu-west-1 }", "models:", "  m: { targets: [{ provider: aws, model: eu.amazon.nova-lite-v1:0 }] }"].join("\n"));
    const result = await runCli(["check", "--config", config], { env: awsEnv({ AWS_ACCESS_KEY_ID: "AKIAFOUND00000000099", AWS_SECRET_ACCESS_KEY: "found-secret-value-0123456789" }) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`  providers.aws: AWS credentials from the AWS credential chain (access key …0099).\n${config}: OK (1 providers, 1 models)\n`);
  });
});
