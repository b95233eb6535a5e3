import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { Sql } from "../../src/store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../../src/store/test-support/test-database.js";
import { buildDist, killAll, removeTempDirs, spawnCli, tempDir, tempFile, type CliProcess } from "../support/cli-process.js";
import { createFakeUpstream, type FakeUpstream, type RecordedRequest } from "../support/fake-upstream.js";
import { loadChunks, loadText, mulberry32, randomInt, testSeed, seedMessage } from "../support/fixtures.js";

// SIGKILL at any moment loses no finished record. A real gateway process serves bursts of
// streamed and non-streamed requests and is killed (SIGKILL) mid-burst, five times, on the
// same database and journal; at the end every request the upstream saw has exactly one
// ledger row: the finished ones as they finished, those in flight at the kill as
// `interrupted`, with their prompt billed and their output estimated. With Redis budgets,
// no reservation is left held and what the counters settled is what the ledger says.

const RUNS = 5;
const BURST = 24;
const KEY = `crash-client-${randomBytes(6).toString("hex")}`;
const ADMIN = `crash-admin-${randomBytes(6).toString("hex")}`;
const seed = testSeed();
const rng = mulberry32(seed);
const streamChunks = loadChunks("openai-chat/openai-text.chunks.txt").map((payload) => Buffer.from(`data: ${payload}\n\n`));
const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
const prefixes: string[] = [];

let upstream: FakeUpstream;

beforeAll(async () => {
  await buildDist();
  upstream = await createFakeUpstream();
  upstream.setDefault({
    kind: "reply",
    // Streams take a while (so some are in flight at the kill); complete answers come at once.
    answer: (body) =>
      (body as { stream?: boolean }).stream
        ? { kind: "sse", chunks: [...streamChunks, Buffer.from("data: [DONE]\n\n")], delayMs: 15 }
        : { kind: "status", status: 200, body: loadText("openai-chat/openai-text.json"), headers: { "content-type": "application/json" } },
  });
}, 180_000);

afterAll(async () => {
  await killAll();
  removeTempDirs();
  await upstream?.close();
  await redis.connect().catch(() => {});
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

async function start(config: string, env: Record<string, string>, cwd: string): Promise<{ cli: CliProcess; url: string }> {
  const cli = spawnCli(["start", "--config", config, "--port", "0"], { env, cwd });
  const [, url] = (await cli.waitForStdout(/listening on (http:\/\/\S+)/, 20_000)) as RegExpMatchArray;
  return { cli, url: url! };
}

interface ClientResult {
  /** Also in the prompt, so the upstream's copy of the request names it. */
  tag: string;
  id?: string;
  /** The client received the whole answer. */
  complete: boolean;
}

let sent = 0;
async function send(url: string, agent: Agent, stream: boolean): Promise<ClientResult> {
  const tag = `r${sent++}`;
  try {
    const res = await request(`${url}/v1/chat/completions`, {
      method: "POST",
      dispatcher: agent,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream, max_tokens: 400, messages: [{ role: "user", content: `Invent a holiday. ${tag}` }] }),
    });
    const id = res.headers["x-request-id"] as string | undefined;
    const text = await res.body.text();
    return { tag, ...(id ? { id } : {}), complete: res.statusCode === 200 && (stream ? text.includes("data: [DONE]") : text.includes('"choices"')) };
  } catch {
    return { tag, complete: false };
  }
}

/** What a missing row needs explained: the requests the upstream saw without one, what the ledger set aside, what the gateways warned. */
async function diagnosis(sql: Sql, seen: RecordedRequest[], results: ClientResult[], gateways: CliProcess[], spool: string): Promise<string> {
  const rows = await sql.query<{ id: string; attempts: number; outcome: string }>("SELECT id, attempts, outcome FROM tollgate_ledger_requests");
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byTag = new Map(results.map((r) => [r.tag, r]));
  const tags = seen.map((r) => /holiday\. (r\d+)/.exec(r.rawBody)?.[1] ?? "?");
  const lines = [`upstream saw ${tags.length} (twice: ${tags.filter((t, i) => tags.indexOf(t) !== i).join(" ") || "none"}), rows ${rows.length}`];
  for (const tag of tags) {
    const result = byTag.get(tag);
    const row = result?.id ? byId.get(result.id) : undefined;
    if (result?.id && (!row || row.attempts === 0)) lines.push(`${tag} ${result.id} (${result.complete ? "answered" : "cut"}): ${row ? "row without attempts" : "no row"}`);
  }
  // Requests cut before their headers: matched by count only.
  const clientIds = new Set(results.flatMap((r) => r.id ?? []));
  lines.push(`cut before an id: ${tags.filter((t) => !byTag.get(t)?.id).length} seen upstream, ${rows.filter((r) => r.attempts > 0 && !clientIds.has(r.id)).length} rows`);
  const rejected = join(spool, "ledger-rejected.jsonl");
  if (existsSync(rejected)) lines.push(`set aside: ${readFileSync(rejected, "utf8").slice(0, 2_000)}`);
  for (const [i, g] of gateways.entries())
    for (const line of g
      .stderr()
      .split("\n")
      .filter((l) => /warn|error|refused/i.test(l)))
      lines.push(`gateway ${i}: ${line.slice(0, 500)}`);
  return lines.join("\n");
}

describe.each(storeKinds)("SIGKILL during bursts, on %s", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test(`${RUNS} kills lose no finished record; in-flight requests are billed as interrupted`, async () => {
    const work = tempDir();
    const prefix = `tollgate-test-crash-${randomBytes(6).toString("hex")}`;
    prefixes.push(prefix);
    // Postgres runs with Redis budgets, so that settlement after the restart is checked too.
    const budgets =
      kind === "postgres" ? `redis: { url: "redis://127.0.0.1:6379", keyPrefix: "${prefix}" }\nbudgets: { storeTimeoutMs: 5000, rules: [{ scope: key, id: "*", period: total, usd: 1000 }] }\n` : "";
    const config = tempFile(
      "crash.yaml",
      `database: { url: "env:CRASH_DATABASE_URL" }
ledger: { spoolDir: "${join(work, "spool")}" }
auth: { keys: ["env:CRASH_KEY"] }
admin: { keys: ["env:CRASH_ADMIN"] }
${budgets}prices: { m: { input: 1, output: 1 } }
providers: { up: { type: openai, baseURL: "${upstream.url}" } }
models: { m: { retry: { maxRetries: 0 }, targets: [{ provider: up, model: m }] } }
`,
    );
    const env = { CRASH_DATABASE_URL: db.url, CRASH_KEY: KEY, CRASH_ADMIN: ADMIN };
    const firstRequest = upstream.requests.length;
    const seen = () => upstream.requests.slice(firstRequest);
    const finished = (list: RecordedRequest[]) => list.filter((r) => r.finishedAt !== undefined).length;
    const results: ClientResult[] = [];
    const gateways: CliProcess[] = [];

    for (let run = 0; run < RUNS; run++) {
      const { cli, url } = await start(config, env, work);
      gateways.push(cli);
      const agent = new Agent({ connections: BURST });
      const before = seen().length;
      // Half the burst streams, half does not, interleaved.
      let refusedEarly = 0;
      const burst = Array.from({ length: BURST }, (_, i) =>
        send(url, agent, i % 2 === 0).then((result) => {
          // Answered without a whole answer while the gateway runs: refused before any upstream call (a loaded machine's budget-store timeout).
          if (!result.complete) refusedEarly++;
          return result;
        }),
      );
      // Killed once every request of the burst reached the upstream (or was refused before it) and a random number of them finished.
      const killAfter = randomInt(rng, 1, BURST - 2);
      await vi.waitFor(
        () => {
          const mine = seen().slice(before);
          expect(mine.length + refusedEarly).toBeGreaterThanOrEqual(BURST);
          expect(finished(mine)).toBeGreaterThanOrEqual(Math.min(killAfter, BURST - refusedEarly));
        },
        { timeout: 30_000, interval: 2 },
      );
      cli.child.kill("SIGKILL");
      expect((await cli.exit(10_000)).signal).toBe("SIGKILL");
      results.push(...(await Promise.all(burst)));
      await agent.close();
    }

    // A last start replays the journal; the ledger then holds one row per upstream request.
    const { cli, url } = await start(config, env, work);
    gateways.push(cli);
    const sql = await openStore(db.url);
    try {
      const upstreamSaw = seen().length;
      // Rows of requests that reached the upstream (those refused before it have rows with no attempt).
      const reached = "SELECT id, outcome, usage_source, input_tokens, output_tokens, cost_nanos FROM tollgate_ledger_requests WHERE attempts > 0";
      await vi
        .waitFor(async () => expect((await sql.query(reached)).length).toBe(upstreamSaw), { timeout: 30_000, interval: 20 })
        .catch(async (err: unknown) => {
          throw new Error(`${String(err)}\n${await diagnosis(sql, seen(), results, gateways, join(work, "spool"))}`);
        });
      const rows = await sql.query<{ id: string; outcome: string; usage_source: string | null; input_tokens: number; output_tokens: number; cost_nanos: number | string }>(reached);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const message = seedMessage(seed, `${kind}: ${rows.length} rows, upstream saw ${upstreamSaw}, finished ${finished(seen())}`);
      // Every request the upstream finished has its row (and so does every one it began).
      expect(rows.length, message).toBeGreaterThanOrEqual(finished(seen()));
      // Every answer a client received whole was recorded as it finished.
      const received = results.filter((r) => r.complete);
      expect(received.length, message).toBeGreaterThan(0);
      for (const r of received) expect(byId.get(r.id!)?.outcome, message).toBe("complete");
      // The others were recorded at the next start: prompt billed, output estimated.
      const interrupted = rows.filter((r) => r.outcome === "interrupted");
      expect(interrupted.length, message).toBeGreaterThan(0);
      for (const r of interrupted) {
        expect(r.usage_source).toBe("estimated");
        expect(r.input_tokens).toBeGreaterThan(0);
        expect(Number(r.cost_nanos)).toBe((r.input_tokens + r.output_tokens) * 1000);
      }
      expect(
        rows.every((r) => r.outcome === "complete" || r.outcome === "interrupted"),
        message,
      ).toBe(true);

      if (kind === "postgres") {
        const ledgerSpend = rows.reduce((sum, r) => sum + Number(r.cost_nanos), 0);
        await vi.waitFor(
          async () => {
            const res = await request(`${url}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN}` } });
            const { data } = (await res.body.json()) as { data: { spent: number; reserved: number }[] };
            expect(data).toHaveLength(1);
            expect(data[0]).toEqual(expect.objectContaining({ reserved: 0, spent: ledgerSpend }));
          },
          { timeout: 20_000, interval: 50 },
        );
      }
    } finally {
      await sql.close();
      cli.child.kill("SIGTERM");
      await cli.exit(20_000);
    }
  }, 240_000);
});
