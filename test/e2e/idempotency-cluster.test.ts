import { randomUUID } from "node:crypto";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { connected, testClient } from "../../src/budgets/test-support/redis.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { deleteUnder, idempotencyTestPrefix, TEST_REDIS_URL } from "../../src/idempotency/test-support/redis-prefix.js";
import { buildDist, killAll, removeTempDirs, spawnCli, tempFile } from "../support/cli-process.js";
import { createFakeUpstream, waitFor, type FakeUpstream } from "../support/fake-upstream.js";
import { expectedFromChatChunks, loadChunks, loadText, splitAt } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Idempotency-Key across instances: two gateways (and a CLI process) sharing the real Redis.

const PREFIX = idempotencyTestPrefix("idempotency-cluster");
const CHUNKS = loadChunks("openai-chat/openai-text.chunks.txt");
const TEXT = expectedFromChatChunks(CHUNKS).choices[0]!.text;
const COMPLETION = loadText("openai-chat/openai-text.json");
const DUPLICATES = 50;

let upstream: FakeUpstream;
let gateways: TestGateway[];

const config = (): ConfigInput => ({
  redis: { url: TEST_REDIS_URL, keyPrefix: PREFIX },
  providers: { up: { type: "openai", baseURL: upstream.url } },
  models: { fast: { targets: [{ provider: "up", model: "gpt-4.1-nano" }], retry: { maxRetries: 0 } } },
});

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gateways = [await startGateway(config()), await startGateway(config())];
}, 120_000);
afterEach(killAll);
afterAll(async () => {
  for (const gw of gateways ?? []) await gw.close();
  await upstream?.close();
  removeTempDirs();
  const client = await connected(testClient());
  await deleteUnder(client, PREFIX);
  await client.quit();
});

const ask = (content: string) => ({ model: "fast", messages: [{ role: "user", content }] });

/** One frame per write, 3 ms apart: the first request runs long enough for every duplicate to arrive meanwhile. */
const slowStream = () => ({ kind: "sse" as const, chunks: [...CHUNKS, "[DONE]"].map((p) => Buffer.from(`data: ${p}\n\n`)), delayMs: 3 });
/** A JSON completion written in 100 pieces, 5 ms apart. */
const slowCompletion = () => {
  const bytes = Buffer.from(COMPLETION);
  const offsets = Array.from({ length: 99 }, (_, i) => Math.floor(((i + 1) * bytes.length) / 100));
  return { kind: "sse" as const, chunks: splitAt(bytes, offsets), delayMs: 5, headers: { "content-type": "application/json" } };
};

function streamed(payloads: string[]): string {
  return payloads
    .filter((p) => p !== "[DONE]")
    .map((p) => (JSON.parse(p) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "")
    .join("");
}

describe(`${DUPLICATES} concurrent requests with one key, spread over two instances`, () => {
  test("streaming: exactly one upstream call and fifty identical streams", async () => {
    const key = randomUUID();
    upstream.enqueue(slowStream());
    const before = upstream.requests.length;
    const answers = await Promise.all(
      Array.from({ length: DUPLICATES }, (_, i) => postSse(`${gateways[i % 2]!.baseURL}/chat/completions`, { ...ask("fifty streams"), stream: true }, { "idempotency-key": key })),
    );
    expect(upstream.requests.length - before).toBe(1);
    expect(answers.map((a) => a.status)).toEqual(Array(DUPLICATES).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(streamed(answers[0]!.payloads)).toBe(TEXT);
    expect(answers.filter((a) => a.headers["idempotent-replayed"] === "true")).toHaveLength(DUPLICATES - 1);
    // Both instances served replays, so the waiters on the instance without the run were woken across Redis.
    const original = answers.find((a) => a.headers["idempotent-replayed"] !== "true")!.headers["x-request-id"];
    for (const gw of gateways) expect(gw.records.some((r) => r.cache?.kind === "idempotent")).toBe(true);
    expect(answers.every((a) => (a.headers["x-tollgate-original-request-id"] ?? a.headers["x-request-id"]) === original)).toBe(true);
    // The ledger's view: one billed request (gpt-4.1-nano at $0.10/$0.40 per million tokens: 16 in,
    // 300 out = 121,600 nano-dollars), and replays that cost nothing and saved that much each.
    const records = await Promise.all(answers.map((a, i) => gateways[i % 2]!.recordOf(a.headers["x-request-id"])));
    const billed = records.filter((r) => !r.cache);
    expect(billed).toHaveLength(1);
    expect(billed[0]!.costNanos).toBe(121_600);
    const replays = records.filter((r) => r.cache);
    expect(replays.every((r) => r.attempts.length === 0 && r.costNanos === undefined && r.cache!.savedNanos === billed[0]!.costNanos)).toBe(true);
    expect(replays.reduce((sum, r) => sum + r.cache!.savedNanos, 0)).toBe((DUPLICATES - 1) * 121_600);
  });

  test("non-streaming: exactly one upstream call and fifty identical bodies", async () => {
    const key = randomUUID();
    upstream.enqueue(slowCompletion());
    const before = upstream.requests.length;
    const answers = await Promise.all(
      Array.from({ length: DUPLICATES }, async (_, i) => {
        const res = await request(`${gateways[i % 2]!.baseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify(ask("fifty bodies")),
        });
        return { status: res.statusCode, replayed: res.headers["idempotent-replayed"], body: await res.body.text() };
      }),
    );
    expect(upstream.requests.length - before).toBe(1);
    expect(answers.map((a) => a.status)).toEqual(Array(DUPLICATES).fill(200));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(JSON.parse(answers[0]!.body)).toEqual(JSON.parse(COMPLETION));
    expect(answers.filter((a) => a.replayed === "true")).toHaveLength(DUPLICATES - 1);
  });
});

describe("an instance that dies while running a request", () => {
  beforeAll(buildDist, 120_000);

  test("frees its key when its lease lapses: a duplicate waiting on another instance then runs it", async () => {
    const file = tempFile("tollgate.json", JSON.stringify({ ...config(), idempotency: { leaseMs: 1_000 }, database: { url: `sqlite:${tempFile("db.sqlite", "")}` } }));
    const cli = spawnCli(["start", "--config", file, "--port", "0"]);
    const url = (await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const key = randomUUID();
    upstream.enqueue({ kind: "hang" }, { kind: "status", status: 200, body: COMPLETION, headers: { "content-type": "application/json" } });
    const before = upstream.requests.length;
    const doomed = request(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body: JSON.stringify(ask("killed midway")) });
    doomed.catch(() => undefined);
    await waitFor(() => upstream.requests.length > before, { message: "the CLI's request never reached the upstream" });

    // The duplicate finds the key held, and waits.
    const duplicate = request(`${gateways[0]!.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify(ask("killed midway")),
    });
    cli.child.kill("SIGKILL");
    await cli.exit();
    const res = await duplicate;
    expect(res.statusCode).toBe(200);
    expect(res.headers["idempotent-replayed"]).toBeUndefined();
    expect(JSON.parse(await res.body.text())).toEqual(JSON.parse(COMPLETION));
    expect(upstream.requests.length - before).toBe(2);
  });
});
