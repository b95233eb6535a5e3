import { z } from "zod";
import type { Resolved } from "./resolved-provider.js";
import { type SecretRef, secretRef } from "./secret-ref.js";

const headersSchema = z.record(z.string(), secretRef);
const idempotencyHeader = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "an HTTP header name")
  .optional();
/** max_tokens for Claude requests that set none (Anthropic's body requires it). */
const defaultMaxTokens = z.number().int().positive().default(4096);

/** Amazon Bedrock (docs/providers.md#bedrock). */
export const bedrockProvider = z.strictObject({
  type: z.literal("bedrock"),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "an AWS region such as us-east-1"),
  /** A profile of the shared AWS config and credentials files; without it the chain's default. */
  profile: z.string().min(1).optional(),
  /** A Bedrock API key, sent as a bearer token instead of a SigV4 signature. */
  apiKey: secretRef.optional(),
  /** A VPC endpoint (or a test server) instead of https://bedrock-runtime.REGION.amazonaws.com. */
  baseURL: z.url().optional(),
  headers: headersSchema.optional(),
  idempotencyHeader,
  defaultMaxTokens,
});

/** Google Vertex AI (docs/providers.md#vertex). */
export const vertexProvider = z.strictObject({
  type: z.literal("vertex"),
  project: z.string().min(1),
  /** A region (us-central1, europe-west4, ...) or `global`. */
  location: z
    .string()
    .regex(/^(global|[a-z]+-[a-z]+\d+)$/, "a Google Cloud region such as us-central1, or global")
    .default("us-central1"),
  /** Replaces https://LOCATION-aiplatform.googleapis.com/v1 (a proxy, a test server). */
  baseURL: z.url().optional(),
  /** A fixed access token (a proxy that adds its own, tests); without it, Google credentials. */
  accessToken: secretRef.optional(),
  /** A service-account key file; without it, Application Default Credentials. */
  keyFile: z.string().min(1).optional(),
  /** Another OAuth token endpoint than Google's (Private Service Connect, a test server). */
  tokenURL: z.url().optional(),
  headers: headersSchema.optional(),
  idempotencyHeader,
  defaultMaxTokens,
});

type BedrockInput = z.output<typeof bedrockProvider>;
type VertexInput = z.output<typeof vertexProvider>;

export type ResolvedBedrock = Resolved<BedrockInput, "apiKey", { baseURL: string }>;
export type ResolvedVertex = Resolved<VertexInput, "accessToken">;

type Secret = (ref: SecretRef, path: string) => string;

function resolveHeaders(headers: Record<string, SecretRef> | undefined, path: string, secret: Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), secret(v, `${path}.${k}`)]));
}

/** A bedrock or vertex provider with its secrets read and its defaults filled in. */
export function resolveCloudProvider(name: string, p: BedrockInput | VertexInput, path: string, secret: Secret): ResolvedBedrock | ResolvedVertex {
  const common = {
    name,
    headers: resolveHeaders(p.headers, `${path}.headers`, secret),
    defaultMaxTokens: p.defaultMaxTokens,
    ...(p.idempotencyHeader ? { idempotencyHeader: p.idempotencyHeader.toLowerCase() } : {}),
  };
  if (p.type === "bedrock") {
    const apiKey = p.apiKey === undefined ? undefined : secret(p.apiKey, `${path}.apiKey`);
    return {
      type: "bedrock",
      ...common,
      region: p.region,
      baseURL: (p.baseURL ?? `https://bedrock-runtime.${p.region}.amazonaws.com`).replace(/\/+$/, ""),
      ...(p.profile ? { profile: p.profile } : {}),
      ...(apiKey ? { apiKey } : {}),
    };
  }
  const accessToken = p.accessToken === undefined ? undefined : secret(p.accessToken, `${path}.accessToken`);
  return {
    type: "vertex",
    ...common,
    project: p.project,
    location: p.location,
    ...(p.baseURL ? { baseURL: p.baseURL.replace(/\/+$/, "") } : {}),
    ...(accessToken ? { accessToken } : {}),
    ...(p.keyFile ? { keyFile: p.keyFile } : {}),
    ...(p.tokenURL ? { tokenURL: p.tokenURL } : {}),
  };
}
