import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { converseStreamBytes, eventMessage, exceptionMessage, expectedFromConverseStream, invokeStreamBytes } from "../support/bedrock-fixtures.js";
import { FakeAws } from "../support/fake-clouds.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks, loadText, mulberry32, seedMessage, splitAtRandomOffsets, testSeed } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Bedrock through a fake endpoint that checks every request's Signature V4 with an
// independent implementation (aws4). Credentials come from the real AWS chain: a container
// credentials endpoint (played by the same fake) issuing keys that expire, a profile in a
// shared credentials file, or a Bedrock API key. Streams are real event-stream frames
// (built with @smithy/eventstream-codec) split at random byte offsets.

const KEY = "tg-bedrock-client-key-0123456789";
const REGION = "us-west-2";
const NOVA = "us.amazon.nova-pro-v1:0";
const CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const PROFILE_KEY = { id: "AKIAPROFILE000000001", secret: "profile-secret-0123456789abcdefghij" };
const BEDROCK_API_KEY = "ABSKQmVkcm9ja0FQSUtleS10ZXN0LWtleS0wMTIzNDU2Nzg5";

const aws = new FakeAws(REGION, "/bedrock/");
let upstream: FakeUpstream;
let gw: TestGateway;
let dir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  upstream = await createFakeUpstream({
    gate: (request) => {
      // The API key is Bedrock's other way in: a bearer token instead of a signature.
      if (request.path.startsWith("/bedrock-apikey/")) return request.headers.authorization === `Bearer ${BEDROCK_API_KEY}` ? undefined : { kind: "json", status: 403, body: { message: "bad key" } };
      return aws.gate(request);
    },
  });
  dir = mkdtempSync(path.join(tmpdir(), "tollgate-bedrock-"));
  writeFileSync(path.join(dir, "credentials"), `[tollgate-test]\naws_access_key_id = ${PROFILE_KEY.id}\naws_secret_access_key = ${PROFILE_KEY.secret}\n`);
  aws.addKey(PROFILE_KEY.id, PROFILE_KEY.secret);
  // The chain finds no key in the environment and no default profile: it asks the container endpoint.
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"])
    delete process.env[name];
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, "credentials");
  process.env.AWS_CONFIG_FILE = path.join(dir, "config");
  process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${upstream.origin}${aws.credentialsPath}`;
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  const retry = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 };
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: {
        chain: { type: "bedrock", region: REGION, baseURL: `${upstream.origin}/bedrock` },
        profiled: { type: "bedrock", region: REGION, profile: "tollgate-test", baseURL: `${upstream.origin}/bedrock` },
        keyed: { type: "bedrock", region: REGION, apiKey: "env:BEDROCK_KEY", baseURL: `${upstream.origin}/bedrock-apikey` },
        nowhere: { type: "bedrock", region: REGION, profile: "no-such-profile", baseURL: `${upstream.origin}/bedrock` },
      },
      models: {
        nova: { retry, targets: [{ provider: "chain", model: NOVA }] },
        claude: { retry, targets: [{ provider: "chain", model: CLAUDE }] },
        profiled: { retry, targets: [{ provider: "profiled", model: NOVA }] },
        keyed: { retry, targets: [{ provider: "keyed", model: NOVA }] },
        nowhere: { retry, targets: [{ provider: "nowhere", model: NOVA }] },
        titan: { retry, targets: [{ provider: "chain", model: "amazon.titan-embed-text-v2:0" }] },
        cohere: { retry, targets: [{ provider: "chain", model: "cohere.embed-english-v3" }] },
      },
    },
    { env: { CLIENT_KEY: KEY, BEDROCK_KEY: BEDROCK_API_KEY } },
  );
});
afterEach(() => {
  expect(upstream.pending(), "every queued script was used").toBe(0);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  process.env = savedEnv;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const chat = (model: string, stream: boolean) => ({
  model,
  messages: [{ role: "user", content: "How many r's in strawberry?" }],
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
});
const auth = { authorization: `Bearer ${KEY}` };
const eventStream = (bytes: Buffer, seed: number) => ({
  kind: "sse" as const,
  chunks: splitAtRandomOffsets(bytes, mulberry32(seed), 24),
  headers: { "content-type": "application/vnd.amazon.eventstream" },
});

describe("Bedrock: signed requests, credentials from the AWS chain", () => {
  test("a streamed answer: ConverseStream called, the signature accepted, usage as recorded", async () => {
    const lines = loadChunks("amazon-bedrock/amazon-bedrock-text.chunks.txt");
    const seed = testSeed();
    upstream.enqueue(eventStream(converseStreamBytes(lines), seed));
    const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nova", true), auth);
    expect(res.status, seedMessage(seed, res.text.slice(0, 300))).toBe(200);
    const chunks = res.payloads.slice(0, -1).map((p) => JSON.parse(p) as { choices: Array<{ delta: { content?: string } }>; usage?: unknown });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(expectedFromConverseStream(lines).text);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe(`/bedrock/model/${encodeURIComponent(NOVA)}/converse-stream`);
    expect(aws.accepted.at(-1)?.path).toBe(sent.path);
    expect(aws.refused).toEqual([]);
    expect((await gw.recordOf(res.headers["x-request-id"])).usage).toEqual(expectedFromConverseStream(lines).usage);
  });

  test("credentials that expire mid-run are replaced before the next request: no request is refused", async () => {
    const body = loadText("amazon-bedrock/amazon-bedrock-text.json");
    const signers: string[] = [];
    for (let i = 0; i < 3; i++) {
      upstream.enqueue({ kind: "status", status: 200, body, headers: { "content-type": "application/json" } });
      const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nova", false), auth);
      expect(res.status, res.text).toBe(200);
      expect(res.headers["x-tollgate-attempts"]).toBe("1");
      signers.push(aws.accepted.at(-1)!.accessKeyId);
      // Time passes for the fake: every key handed out so far stops working.
      aws.expireIssued();
    }
    expect(aws.refused).toEqual([]);
    // Each request was signed with a key the endpoint issued after the last one lapsed.
    expect(new Set(signers).size).toBe(3);
    expect(aws.issuedCount).toBeGreaterThanOrEqual(3);
  });

  test("a profile of the shared credentials file; a Bedrock API key as the bearer token", async () => {
    upstream.enqueue({ kind: "status", status: 200, body: loadText("amazon-bedrock/amazon-bedrock-tool-call.1.json"), headers: { "content-type": "application/json" } });
    const profiled = await postSse(
      `${gw.url}/v1/chat/completions`,
      { ...chat("profiled", false), tools: [{ type: "function", function: { name: "bash", parameters: { type: "object", properties: { command: { type: "string" } } } } }] },
      auth,
    );
    expect(profiled.status, profiled.text).toBe(200);
    expect(aws.accepted.at(-1)!.accessKeyId).toBe(PROFILE_KEY.id);
    const call = (JSON.parse(profiled.text) as { choices: Array<{ message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> }; finish_reason: string }> })
      .choices[0]!;
    expect(call.finish_reason).toBe("tool_calls");
    expect(call.message.tool_calls).toEqual([{ id: "tool-use-id", type: "function", function: { name: "bash", arguments: '{"command":"ls -l"}' } }]);

    upstream.enqueue({ kind: "status", status: 200, body: loadText("amazon-bedrock/amazon-bedrock-text.json"), headers: { "content-type": "application/json" } });
    const keyed = await postSse(`${gw.url}/v1/chat/completions`, chat("keyed", false), auth);
    expect(keyed.status, keyed.text).toBe(200);
    expect(upstream.requests.at(-1)!.headers["x-amz-date"]).toBeUndefined();
  });

  test("no credentials anywhere in the chain (a profile that does not exist, no container endpoint): a 502 naming the provider, and no request reaches Bedrock", async () => {
    const before = upstream.requests.length;
    const containerURI = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nowhere", false), auth).finally(() => {
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = containerURI;
    });
    expect(res.status).toBe(502);
    expect(res.text).toContain('No usable credentials for provider \\"nowhere\\"');
    expect(res.text).toContain("upstream_credentials_unavailable");
    // Not retried: another try finds no more credentials than the first.
    expect(upstream.requests.slice(before).filter((r) => r.path.startsWith("/bedrock/"))).toEqual([]);
  });
});

describe("Bedrock: what Converse cannot take", () => {
  test("a client's field with no place in Converse is named in x-tollgate-dropped; a Messages client's Claude request drops nothing", async () => {
    upstream.enqueue({ kind: "status", status: 200, body: loadText("amazon-bedrock/amazon-bedrock-text.json"), headers: { "content-type": "application/json" } });
    const res = await postSse(`${gw.url}/v1/chat/completions`, { ...chat("nova", false), logprobs: true, presence_penalty: 0.5 }, auth);
    expect(res.status, res.text).toBe(200);
    expect(res.headers["x-tollgate-dropped"]).toBe("logprobs, presence_penalty");
    expect(upstream.requests.at(-1)!.body).not.toHaveProperty("logprobs");

    upstream.enqueue({ kind: "status", status: 200, body: loadText("anthropic/anthropic-text.json"), headers: { "content-type": "application/json" } });
    const claude = await postSse(
      `${gw.url}/v1/messages`,
      { model: "claude", max_tokens: 64, top_k: 3, messages: [{ role: "user", content: "hi" }] },
      { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
    );
    expect(claude.status, claude.text).toBe(200);
    expect(claude.headers["x-tollgate-dropped"]).toBeUndefined();
    // The body comes back as Claude sent it.
    expect(claude.text).toBe(loadText("anthropic/anthropic-text.json"));
    expect(upstream.requests.at(-1)!).toMatchObject({ path: `/bedrock/model/${encodeURIComponent(CLAUDE)}/invoke`, body: { anthropic_version: "bedrock-2023-05-31", top_k: 3 } });
  });
});

describe("Bedrock: errors", () => {
  const throttled = {
    kind: "json" as const,
    status: 429,
    body: { message: "Too many requests, please wait before trying again." },
    headers: { "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/" },
  };

  test("ThrottlingException and ServiceUnavailable are retried with backoff", async () => {
    upstream.enqueue(throttled, {
      kind: "json",
      status: 503,
      body: { message: "Bedrock is unable to process your request." },
      headers: { "x-amzn-errortype": "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/" },
    });
    upstream.enqueue({ kind: "status", status: 200, body: loadText("amazon-bedrock/amazon-bedrock-text.json"), headers: { "content-type": "application/json" } });
    const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nova", false), auth);
    expect(res.status, res.text).toBe(200);
    expect(res.headers["x-tollgate-attempts"]).toBe("3");
  });

  test("ValidationException is the client's 400 with Bedrock's message, not retried", async () => {
    upstream.enqueue({
      kind: "json",
      status: 400,
      body: { message: "The model returned the following errors: max_tokens: range: 1..8192" },
      headers: { "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" },
    });
    const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nova", false), auth);
    expect(res.status).toBe(400);
    expect(res.text).toContain("max_tokens: range: 1..8192");
  });

  test("AccessDeniedException is the upstream refusing Tollgate's credentials: 502 upstream_auth_failed, not retried", async () => {
    const before = upstream.requests.length;
    upstream.enqueue({
      kind: "json",
      status: 403,
      body: { message: "You don't have access to the model with the specified model ID." },
      headers: { "x-amzn-errortype": "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/" },
    });
    const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nova", false), auth);
    expect(res.status).toBe(502);
    expect(res.text).toContain("upstream_auth_failed");
    expect(res.text).toContain("access to the model");
    expect(upstream.requests.slice(before).filter((r) => r.path.startsWith("/bedrock/"))).toHaveLength(1);
  });

  test("an exception after the first byte is reported inside the stream, never as a clean end", async () => {
    const frames = Buffer.concat([
      eventMessage("messageStart", { role: "assistant" }),
      eventMessage("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Let me count" } }),
      exceptionMessage("modelStreamErrorException", "The model stream failed."),
    ]);
    upstream.enqueue(eventStream(frames, testSeed()));
    const res = await postSse(`${gw.url}/v1/chat/completions`, chat("nova", true), auth);
    expect(res.status).toBe(200);
    expect(res.payloads).not.toContain("[DONE]");
    const last = JSON.parse(res.payloads.at(-1)!) as { error?: { message: string } };
    expect(last.error?.message).toContain("The model stream failed.");
    expect((await gw.recordOf(res.headers["x-request-id"])).outcome).toBe("failed");
  });
});

describe("Bedrock: Claude for Messages clients through InvokeModelWithResponseStream", () => {
  test("the client's body reaches Claude as sent; Anthropic's events come back untouched", async () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt");
    upstream.enqueue(eventStream(invokeStreamBytes(payloads), testSeed()));
    const sent = {
      model: "claude",
      max_tokens: 256,
      stream: true,
      system: [{ type: "text", text: "Count.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "How many r's in strawberry?" }],
      top_k: 5,
    };
    const res = await postSse(`${gw.url}/v1/messages`, sent, { "x-api-key": KEY, "anthropic-version": "2023-06-01" });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.payloads).toEqual(payloads);
    expect(res.messages.map((m) => m.event)).toEqual(payloads.map((p) => (JSON.parse(p) as { type: string }).type));
    const upstreamRequest = upstream.requests.at(-1)!;
    expect(upstreamRequest.path).toBe(`/bedrock/model/${encodeURIComponent(CLAUDE)}/invoke-with-response-stream`);
    const { model: _model, stream: _stream, ...rest } = sent;
    expect(upstreamRequest.body).toEqual({ anthropic_version: "bedrock-2023-05-31", ...rest });
    expect(aws.accepted.at(-1)?.path).toBe(upstreamRequest.path);
  });
});

describe("Bedrock: embeddings", () => {
  test("Titan: one text, its token count in the usage and the ledger; Cohere: a batch", async () => {
    upstream.enqueue({ kind: "json", status: 200, body: { embedding: [0.25, -0.5, 1], inputTextTokenCount: 3 } });
    const titan = await postSse(`${gw.url}/v1/embeddings`, { model: "titan", input: "hello there", dimensions: 3 }, auth);
    expect(titan.status, titan.text).toBe(200);
    expect(JSON.parse(titan.text)).toMatchObject({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.25, -0.5, 1] }], usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(upstream.requests.at(-1)!).toMatchObject({ path: `/bedrock/model/${encodeURIComponent("amazon.titan-embed-text-v2:0")}/invoke`, body: { inputText: "hello there", dimensions: 3 } });
    expect(aws.accepted.at(-1)?.path).toBe(upstream.requests.at(-1)!.path);
    expect((await gw.recordOf(titan.headers["x-request-id"])).usage).toMatchObject({ inputTokens: 3, outputTokens: 0, source: "reported" });

    upstream.enqueue({
      kind: "json",
      status: 200,
      body: {
        id: "e1",
        embeddings: {
          float: [
            [1, 0],
            [0, 1],
          ],
        },
        response_type: "embeddings_by_type",
        texts: ["a", "b"],
      },
    });
    const cohere = await postSse(`${gw.url}/v1/embeddings`, { model: "cohere", input: ["a", "b"] }, auth);
    expect(cohere.status, cohere.text).toBe(200);
    expect((JSON.parse(cohere.text) as { data: Array<{ embedding: number[] }> }).data.map((d) => d.embedding)).toEqual([
      [1, 0],
      [0, 1],
    ]);
    // Cohere reports no token count: Tollgate counts the input and says so.
    expect((await gw.recordOf(cohere.headers["x-request-id"])).usage?.source).toBe("estimated");
  });

  test("a batch to Titan is the client's 400, and Bedrock is never called", async () => {
    const before = upstream.requests.length;
    const res = await postSse(`${gw.url}/v1/embeddings`, { model: "titan", input: ["a", "b"] }, auth);
    expect(res.status).toBe(400);
    expect(res.text).toContain("one text per request");
    expect(upstream.requests.length).toBe(before);
  });
});
