import { Sha256 } from "@aws-crypto/sha256-js";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { SignatureV4 } from "@smithy/signature-v4";
import { UpstreamCredentialsError } from "../../errors/upstream-errors.js";
import type { RequestAuthorizer } from "../transport.js";

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
 * Signs each Bedrock request with AWS Signature V4 (`@smithy/signature-v4`), with
 * credentials from the standard chain (`fromNodeProviderChain`: environment, shared
 * config and credentials files with the profile, SSO, web identity, ECS and EC2
 * metadata). The chain keeps credentials and fetches new ones in the background once
 * they are within five minutes of expiring, so a request never waits on an expired key.
 * With an API key, the key is the bearer token and nothing is signed.
 */
export function createBedrockAuthorizer(config: BedrockAuthConfig): RequestAuthorizer {
  if (config.apiKey) {
    const authorization = `Bearer ${config.apiKey}`;
    return async (spec) => ({ ...spec, headers: { ...spec.headers, authorization } });
  }
  const credentials = fromNodeProviderChain(config.profile ? { profile: config.profile } : {});
  const signer = new SignatureV4({ service: "bedrock", region: config.region, credentials, sha256: Sha256 });
  return async (spec) => {
    const url = new URL(spec.url);
    let signed;
    try {
      signed = await signer.sign({
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...spec.headers, host: url.host },
        body: spec.body,
      });
    } catch (err) {
      throw new UpstreamCredentialsError(config.name, `AWS credentials could not be loaded (${(err as Error).message})`, err);
    }
    return { ...spec, headers: signed.headers };
  };
}
