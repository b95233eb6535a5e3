import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { openSqlite } from "../../src/store/sqlite.js";
import { countMessageTokens, countTextTokens } from "../../src/usage/tokenizer.js";
import { createFakeUpstream, waitFor, type FakeUpstream } from "../support/fake-upstream.js";
import { chatSseBytes, expectedFromChatChunks, loadChunks, loadText } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Accounting truth: every token an upstream served appears in the ledger, call by call,
// whether the call finished, was cut, retried, fallen back or timed out. The ledger is
// read back from its SQLite file after the gateway shut down (so the flush is tested too).

const payloads = loadChunks("openai-chat/openai-text.chunks.txt");
const recorded = expectedFromChatChunks(payloads);
const body = JSON.parse(loadText("openai-chat/openai-text.json")) as { usage: { prompt_tokens: number; completion_tokens: number } };
const END = "data: [DONE]\n\n".length;
const prefix = (n: number) => chatSseBytes(payloads.slice(0, n + 1)).subarray(0, -END);
/** The content the first `n` content chunks carry, as the upstream served it. */
const servedText = (n: number) => expectedFromChatChunks(payloads.slice(0, n + 1)).choices[0]!.text;
const messages = [{ role: "user" as const, content: "Invent a holiday and describe its traditions." }];
const promptTokens = countMessageTokens(messages.map((m) => ({ role: m.role, content: m.content })));
// $1 per 1M input tokens, $2 per 1M output: 1,000 nano-dollars and 2,000 per token.
const costOf = (input: number, output: number) => input * 1_000 + output * 2_000;

interface RequestRow {
  id: string;
  outcome: string;
  status: number;
  input_tokens: number;
  output_tokens: number;
  usage_source: string | null;
  cost_nanos: number;
  attempts: number;
  provider: string | null;
}
interface AttemptRow {
  attempt: number;
  provider: string;
  status: string;
  error_code: string | null;
  input_tokens: number;
  output_tokens: number;
  usage_source: string | null;
  cost_nanos: number;
}

let primary: FakeUpstream;
let backup: FakeUpstream;
let gw: TestGateway;
let dir: string;
const ids: Record<string, string> = {};
let requests: Map<string, RequestRow>;
let attempts: Map<string, AttemptRow[]>;

function config(): ConfigInput {
  const fast = { timeouts: { firstTokenMs: 2_000, idleMs: 300 }, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } };
  return {
    database: { url: `sqlite:${join(dir, "ledger.db")}` },
    ledger: { spoolDir: join(dir, "spool"), flushIntervalMs: 20 },
    prices: { "gpt-4.1-nano": { input: 1, output: 2 }, backup: { input: 1, output: 2 } },
    providers: { a: { type: "openai", baseURL: primary.url }, b: { type: "openai", baseURL: backup.url } },
    models: {
      solo: { ...fast, targets: [{ provider: "a", model: "gpt-4.1-nano" }] },
      both: {
        ...fast,
        targets: [
          { provider: "a", model: "gpt-4.1-nano" },
          { provider: "b", model: "backup" },
        ],
      },
    },
  };
}

const chat = (name: string, model: string, stream: boolean) =>
  postSse(`${gw.baseURL}/chat/completions`, { model, messages, stream }).then((res) => {
    ids[name] = res.headers["x-request-id"] as string;
    return res;
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tollgate-accounting-"));
  primary = await createFakeUpstream();
  backup = await createFakeUpstream();
  gw = await startGateway(config());

  primary.enqueue({ kind: "sse", chunks: [chatSseBytes(payloads)] });
  await chat("stream", "solo", true);
  primary.enqueue({ kind: "status", status: 200, body: loadText("openai-chat/openai-text.json"), headers: { "content-type": "application/json" } });
  await chat("nonstream", "solo", false);
  primary.enqueue({ kind: "cut", chunks: [prefix(40)] });
  await chat("upstreamCut", "solo", true);
  primary.enqueue({ kind: "stall", chunks: [prefix(25)] });
  await chat("timedOut", "solo", true);
  primary.enqueue({ kind: "json", status: 500, body: { error: { message: "boom" } } }, { kind: "sse", chunks: [chatSseBytes(payloads)] });
  await chat("retried", "solo", true);
  primary.enqueue({ kind: "json", status: 503, body: {} }, { kind: "json", status: 503, body: {} });
  backup.enqueue({ kind: "sse", chunks: [chatSseBytes(payloads)] });
  await chat("fellBack", "both", true);

  // A client that leaves after a few chunks of a slow stream.
  primary.enqueue({ kind: "sse", chunks: payloads.map((p) => Buffer.from(`data: ${p}\n\n`)), delayMs: 10 });
  const controller = new AbortController();
  const res = await request(`${gw.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "solo", messages, stream: true }),
    signal: controller.signal,
  });
  ids.clientLeft = res.headers["x-request-id"] as string;
  let bytes = 0;
  await (async () => {
    for await (const b of res.body) if ((bytes += b.length) > 3_000) controller.abort();
  })().catch(() => {});
  await waitFor(() => gw.records.some((r) => r.id === ids.clientLeft), {});

  await gw.close();
  const sql = openSqlite(join(dir, "ledger.db"));
  requests = new Map((await sql.query<RequestRow>("SELECT * FROM tollgate_ledger_requests")).map((r) => [r.id, r]));
  attempts = new Map();
  for (const a of await sql.query<AttemptRow & { request_id: string }>("SELECT * FROM tollgate_ledger_attempts ORDER BY attempt")) {
    attempts.set(a.request_id, [...(attempts.get(a.request_id) ?? []), a]);
  }
  await sql.close();
});

afterAll(async () => {
  await primary?.close();
  await backup?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the ledger holds exactly the tokens the upstream served", () => {
  test("one row per request and per attempt, nothing lost on shutdown", () => {
    expect(requests.size).toBe(Object.keys(ids).length);
    for (const id of Object.values(ids)) expect(requests.get(id), id).toBeDefined();
  });

  test("a finished stream: the provider's own figures, priced", () => {
    const row = requests.get(ids.stream!)!;
    expect(row).toMatchObject({ outcome: "complete", usage_source: "reported", input_tokens: recorded.usage!.inputTokens, output_tokens: recorded.usage!.outputTokens });
    expect(row.cost_nanos).toBe(costOf(16, 300));
  });

  test("a non-streamed answer", () => {
    expect(requests.get(ids.nonstream!)).toMatchObject({ usage_source: "reported", input_tokens: body.usage.prompt_tokens, output_tokens: body.usage.completion_tokens, cost_nanos: costOf(16, 363) });
  });

  test("cut by the upstream: the text it served, counted, and marked estimated", () => {
    const row = requests.get(ids.upstreamCut!)!;
    expect(row).toMatchObject({ outcome: "failed", usage_source: "estimated", input_tokens: promptTokens, output_tokens: countTextTokens(servedText(40)) });
    expect(row.cost_nanos).toBe(costOf(promptTokens, countTextTokens(servedText(40))));
  });

  test("timed out mid-stream (idle): the text served before the stall", () => {
    expect(requests.get(ids.timedOut!)).toMatchObject({ outcome: "failed", usage_source: "estimated", output_tokens: countTextTokens(servedText(25)) });
  });

  test("cut by the client: what arrived before the abort, estimated, never zero", () => {
    const row = requests.get(ids.clientLeft!)!;
    expect(row).toMatchObject({ outcome: "cancelled", status: 499, usage_source: "estimated" });
    expect(row.output_tokens).toBeGreaterThan(0);
    expect(row.output_tokens).toBeLessThan(recorded.usage!.outputTokens);
  });

  test("retried: the failed attempt cost nothing, the answer is billed once", () => {
    const rows = attempts.get(ids.retried!)!;
    expect(rows.map((a) => [a.status, a.error_code, a.output_tokens, a.cost_nanos])).toEqual([
      ["error", "upstream_error", 0, 0],
      ["ok", null, 300, costOf(16, 300)],
    ]);
    expect(requests.get(ids.retried!)).toMatchObject({ attempts: 2, output_tokens: 300, cost_nanos: costOf(16, 300) });
  });

  test("fallen back: each attempt visible, the backup billed at its own price", () => {
    const rows = attempts.get(ids.fellBack!)!;
    expect(rows.map((a) => [a.provider, a.status])).toEqual([
      ["a", "error"],
      ["a", "error"],
      ["b", "ok"],
    ]);
    expect(requests.get(ids.fellBack!)).toMatchObject({ provider: "b", attempts: 3, usage_source: "reported", output_tokens: 300, cost_nanos: costOf(16, 300) });
  });
});
