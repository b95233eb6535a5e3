import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { UpstreamCredentialsError } from "../../errors/upstream-errors.js";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { RequestAuthorizer } from "../../transport/http-transport.js";

/** Credentials this close to expiring are replaced before a request is signed with them. */
const REFRESH_BEFORE_EXPIRY_MS = 60_000;

export interface BedrockAuthConfig {
  /** The provider's name, for error messages. */
  name: string;
  region: string;
  /** A profile of the shared config and credentials files. */
  profile?: string;
  /** A Bedrock API key: sent as a bearer token instead of a signature. */
  apiKey?: string;
}

/**
 * Signs each Bedrock request with AWS Signature V4 (`@smithy/signature-v4`, hashing with
 * `@smithy/hash-node`), with credentials from the standard chain (`fromNodeProviderChain`:
 * environment, shared config and credentials files with the profile, SSO, web identity,
 * ECS and EC2 metadata). The chain keeps credentials and fetches new ones in the background once they
 * are within five minutes of expiring; within a minute of it, the request waits for new
 * ones, so no request is signed with a key about to lapse. With an API key, the key is the
 * bearer token and nothing is signed.
 */
export function createBedrockAuthorizer(config: BedrockAuthConfig): RequestAuthorizer {
  if (config.apiKey) {
    const authorization = `Bearer ${config.apiKey}`;
    return async (spec) => ({ ...spec, headers: { ...spec.headers, authorization } });
  }
  const chain = fromNodeProviderChain(config.profile ? { profile: config.profile } : {});
  const credentials: AwsCredentialIdentityProvider = async (): Promise<AwsCredentialIdentity> => {
    const current = await chain();
    if (current.expiration && current.expiration.getTime() - Date.now() < REFRESH_BEFORE_EXPIRY_MS) return chain({ forceRefresh: true });
    return current;
  };
  const signer = new SignatureV4({ service: "bedrock", region: config.region, credentials, sha256: Hash.bind(null, "sha256") });
  return async (spec) => {
    const url = new URL(spec.url);
    let signed: Awaited<ReturnType<SignatureV4["sign"]>>;
    try {
      signed = await signer.sign({
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        // Signed like the AWS SDKs sign it: the host and the body's length too.
        headers: { ...spec.headers, host: url.host, "content-length": String(Buffer.byteLength(spec.body)) },
        body: spec.body,
      });
    } catch (err) {
      throw new UpstreamCredentialsError(config.name, `AWS credentials could not be loaded (${(err as Error).message})`, err);
    }
    return { ...spec, headers: signed.headers };
  };
}
