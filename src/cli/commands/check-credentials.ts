import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { ResolvedProvider } from "../../config/resolve.js";
import { createVertexAuthorizer } from "../../providers/vertex/authorizer.js";

interface CredentialFinding {
  /** The config path of the provider (`providers.NAME`). */
  path: string;
  ok: boolean;
  message: string;
}

/** The last characters of an identifier, enough to tell which one was found without printing it. */
const tail = (id: string) => `…${id.slice(-4)}`;

async function awsCredentials(name: string, profile: string | undefined, now: number): Promise<CredentialFinding> {
  const path = `providers.${name}`;
  const from = profile ? `profile "${profile}"` : "the AWS credential chain";
  try {
    const identity = await fromNodeProviderChain(profile ? { profile } : {})();
    if (identity.expiration && identity.expiration.getTime() <= now) {
      return {
        path,
        ok: false,
        message: `the AWS credentials from ${from} (access key ${tail(identity.accessKeyId)}) expired at ${identity.expiration.toISOString()}; refresh them (aws sso login, a new session token).`,
      };
    }
    const until = identity.expiration ? `, valid until ${identity.expiration.toISOString()} (refreshed before then)` : "";
    return { path, ok: true, message: `AWS credentials from ${from} (access key ${tail(identity.accessKeyId)})${until}.` };
  } catch (err) {
    return { path, ok: false, message: `no AWS credentials from ${from}: ${(err as Error).message}` };
  }
}

async function googleCredentials(name: string, keyFile: string | undefined, tokenURL: string | undefined): Promise<CredentialFinding> {
  const path = `providers.${name}`;
  const from = keyFile ? `the key file ${keyFile}` : "Application Default Credentials";
  try {
    await createVertexAuthorizer({ name, ...(keyFile ? { keyFile } : {}), ...(tokenURL ? { tokenURL } : {}) })({ url: "https://aiplatform.googleapis.com/", headers: {}, body: "" });
    return { path, ok: true, message: `a Google access token from ${from}.` };
  } catch (err) {
    const cause = (err as Error).cause;
    return { path, ok: false, message: `no Google access token from ${from}: ${cause instanceof Error ? cause.message : (err as Error).message}` };
  }
}

/**
 * For each cloud provider that gets its credentials at run time (no API key, no fixed
 * token), whether they can be had now: missing, expired, or found (never printing them).
 */
export async function checkCloudCredentials(providers: Record<string, ResolvedProvider>, now = Date.now()): Promise<CredentialFinding[]> {
  const checks: Array<Promise<CredentialFinding>> = [];
  for (const [name, p] of Object.entries(providers)) {
    if (p.type === "bedrock" && !p.apiKey) checks.push(awsCredentials(name, p.profile, now));
    if (p.type === "vertex" && !p.accessToken) checks.push(googleCredentials(name, p.keyFile, p.tokenURL));
  }
  return Promise.all(checks);
}
