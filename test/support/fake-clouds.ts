/**
 * What the clouds check on every request, played by a fake upstream's gate
 * (`createFakeUpstream({ gate })`): AWS Signature V4 recomputed by an independent
 * implementation (the `aws4` package) with the secret of the key that signed; an AWS
 * container-credentials endpoint issuing short-lived keys; a Google OAuth token endpoint
 * taking JWT bearer grants whose signature it checks with the service account's public
 * key, and Vertex accepting only the tokens it issued.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import aws4 from "aws4";
import type { GatedRequest, UpstreamScript } from "./fake-upstream.js";

const header = (request: GatedRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const awsError = (status: number, type: string, message: string): UpstreamScript => ({
  kind: "json",
  status,
  body: { message },
  headers: { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
});

interface AwsKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expired: boolean;
}

/** Bedrock's side of SigV4: the keys it knows, and every request it accepted. */
export class FakeAws {
  private readonly keys = new Map<string, AwsKey>();
  /** Each accepted request: its path and the access key id that signed it. */
  readonly accepted: Array<{ path: string; accessKeyId: string }> = [];
  /** Each refused request, with the reason. */
  readonly refused: Array<{ path: string; reason: string }> = [];
  private issued = 0;

  constructor(
    readonly region: string,
    /** The path prefix Bedrock serves (the provider's baseURL path). */
    readonly prefix: string,
    /** The path of the container-credentials endpoint. */
    readonly credentialsPath = "/aws-container-credentials",
  ) {}

  /** A static key Bedrock accepts (environment variables, a profile). */
  addKey(accessKeyId: string, secretAccessKey: string, sessionToken?: string): void {
    this.keys.set(accessKeyId, { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}), expired: false });
  }

  /** How many keys the credentials endpoint handed out. */
  get issuedCount(): number {
    return this.issued;
  }

  /** Every key issued so far stops working, as if its time ran out. */
  expireIssued(): void {
    for (const key of this.keys.values()) if (key.sessionToken?.startsWith("issued-")) key.expired = true;
  }

  readonly gate = (request: GatedRequest): UpstreamScript | undefined => {
    if (request.path === this.credentialsPath) return this.issue();
    if (!request.path.startsWith(this.prefix)) return undefined;
    const reason = this.check(request);
    if (reason === undefined) return undefined;
    this.refused.push({ path: request.path, reason: reason.body.message });
    return awsError(reason.status, reason.type, reason.body.message);
  };

  /** ECS's answer: a new temporary key; its stated expiry 30 s away, so clients replace it before each use. */
  private issue(): UpstreamScript {
    this.issued++;
    const key: AwsKey = {
      accessKeyId: `ASIAFAKE${String(this.issued).padStart(12, "0")}`,
      secretAccessKey: randomBytes(20).toString("base64"),
      sessionToken: `issued-${this.issued}-${randomBytes(8).toString("hex")}`,
      expired: false,
    };
    this.keys.set(key.accessKeyId, key);
    return {
      kind: "json",
      status: 200,
      body: { AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, Token: key.sessionToken, Expiration: new Date(Date.now() + 30_000).toISOString() },
    };
  }

  private check(request: GatedRequest): { status: number; type: string; body: { message: string } } | undefined {
    const authorization = header(request, "authorization") ?? "";
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
    if (!m) return { status: 403, type: "MissingAuthenticationTokenException", body: { message: "Missing Authentication Token" } };
    const [, accessKeyId, , region, service, signedHeaders] = m;
    const key = this.keys.get(accessKeyId!);
    if (!key) return { status: 403, type: "UnrecognizedClientException", body: { message: "The security token included in the request is invalid." } };
    if (key.expired) return { status: 403, type: "ExpiredTokenException", body: { message: "The security token included in the request is expired" } };
    if (region !== this.region || service !== "bedrock")
      return { status: 403, type: "InvalidSignatureException", body: { message: `Credential should be scoped to a valid region and service (${region}/${service}).` } };
    if (key.sessionToken !== header(request, "x-amz-security-token")) return { status: 403, type: "UnrecognizedClientException", body: { message: "The security token does not match the key." } };
    // aws4 trusts a sent payload hash: check it against the body first.
    const payloadHash = header(request, "x-amz-content-sha256");
    if (payloadHash !== undefined && payloadHash !== createHash("sha256").update(request.rawBody).digest("hex"))
      return { status: 403, type: "InvalidSignatureException", body: { message: "The payload hash does not match the body." } };
    const names = signedHeaders!.split(";");
    for (const required of ["host", "x-amz-date"]) if (!names.includes(required)) return { status: 403, type: "InvalidSignatureException", body: { message: `${required} is not signed.` } };
    const headers = Object.fromEntries(names.map((n) => [n, header(request, n) ?? ""]));
    const expected = aws4.sign(
      { host: headers.host, path: request.path, method: request.method, headers, body: request.rawBody, service: "bedrock", region: this.region },
      { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    );
    const recomputed = (expected.headers as Record<string, string>).Authorization;
    if (recomputed !== authorization) return { status: 403, type: "InvalidSignatureException", body: { message: "The request signature we calculated does not match the signature you provided." } };
    this.accepted.push({ path: request.path, accessKeyId: key.accessKeyId });
    return undefined;
  }
}

const base64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** Google's side: a service account (a throwaway RSA key made here), its token endpoint, and Vertex checking the tokens. */
export class FakeGoogle {
  readonly clientEmail = "tollgate-test@my-proj.iam.gserviceaccount.com";
  /** The service-account key file's JSON (write it to a temporary file; never commit one). */
  readonly keyFileJson: string;
  private readonly publicKey: KeyObject;
  private readonly tokens = new Map<string, { expired: boolean }>();
  /** Every grant the token endpoint took, with its checked claims. */
  readonly grants: Array<{ iss: string; scope: string; aud: string }> = [];
  readonly refused: Array<{ path: string; reason: string }> = [];
  /** Requests to Vertex that carried a valid token. */
  readonly accepted: Array<{ path: string; token: string }> = [];

  constructor(
    /** The path prefix Vertex serves. */
    readonly prefix: string,
    readonly tokenPath = "/oauth2/token",
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.publicKey = createPublicKey(publicKey.export({ type: "spki", format: "pem" }));
    this.keyFileJson = JSON.stringify({
      type: "service_account",
      project_id: "my-proj",
      private_key_id: randomBytes(8).toString("hex"),
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: this.clientEmail,
      client_id: "1234567890",
      token_uri: "https://oauth2.googleapis.com/token",
    });
  }

  /** Every token issued so far stops working. */
  expireIssued(): void {
    for (const t of this.tokens.values()) t.expired = true;
  }

  get issuedCount(): number {
    return this.tokens.size;
  }

  readonly gate = (request: GatedRequest): UpstreamScript | undefined => {
    if (request.path === this.tokenPath) return this.grant(request);
    if (!request.path.startsWith(this.prefix)) return undefined;
    const token = /^Bearer (.+)$/.exec(header(request, "authorization") ?? "")?.[1];
    const known = token === undefined ? undefined : this.tokens.get(token);
    if (!known || known.expired) {
      const reason = known ? "expired token" : "unknown token";
      this.refused.push({ path: request.path, reason });
      return { kind: "json", status: 401, body: { error: { code: 401, message: `Request had invalid authentication credentials (${reason}).`, status: "UNAUTHENTICATED" } } };
    }
    this.accepted.push({ path: request.path, token: token! });
    return undefined;
  };

  /** A JWT bearer grant: RS256 signed by the service account's key, for the cloud-platform scope; tokens last 2 minutes, so clients fetch the next before each use. */
  private grant(request: GatedRequest): UpstreamScript {
    const refuse = (reason: string): UpstreamScript => {
      this.refused.push({ path: request.path, reason });
      return { kind: "json", status: 400, body: { error: "invalid_grant", error_description: reason } };
    };
    const form = new URLSearchParams(request.rawBody);
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return refuse("not a JWT bearer grant");
    const parts = (form.get("assertion") ?? "").split(".");
    if (parts.length !== 3) return refuse("the assertion is not a JWT");
    const [h, p, s] = parts as [string, string, string];
    const head = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: string };
    if (head.alg !== "RS256") return refuse(`alg ${head.alg}`);
    if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, "base64url"))) return refuse("bad signature");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { iss: string; scope: string; aud: string; exp: number; iat: number };
    if (claims.iss !== this.clientEmail) return refuse(`issuer ${claims.iss}`);
    if (claims.aud !== "https://oauth2.googleapis.com/token") return refuse(`audience ${claims.aud}`);
    if (!claims.scope.split(" ").includes("https://www.googleapis.com/auth/cloud-platform")) return refuse(`scope ${claims.scope}`);
    if (!(claims.exp > claims.iat)) return refuse("exp before iat");
    this.grants.push({ iss: claims.iss, scope: claims.scope, aud: claims.aud });
    const token = `ya29.fake-${base64url(randomBytes(12))}`;
    this.tokens.set(token, { expired: false });
    return { kind: "json", status: 200, body: { access_token: token, expires_in: 120, token_type: "Bearer" } };
  }
}

/** Gates in turn: the first that answers wins. */
export function gates(...all: Array<(request: GatedRequest) => UpstreamScript | undefined>): (request: GatedRequest) => UpstreamScript | undefined {
  return (request) => {
    for (const gate of all) {
      const answer = gate(request);
      if (answer) return answer;
    }
    return undefined;
  };
}
