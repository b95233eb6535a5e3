import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import type { Identity } from "../../src/spec/identity.js";
import { createFakeUpstream, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { INBOUND, read } from "../support/matrix.js";
import { postSse } from "../support/sse-client.js";

// The semantic cache through a real gateway. Embeddings come from a fake OpenAI
// embeddings upstream answering vectors the test chooses: the simulator's vectors are a
// hash of the text (near-duplicates are unrelated), so they cannot show similarity.

let chat: FakeUpstream;
let emb: FakeUpstream;
const opened: TestGateway[] = [];

beforeAll(async () => {
  chat = await createFakeUpstream();
  emb = await createFakeUpstream();
});
afterEach(async () => {
  for (const gw of opened.splice(0)) await gw.close();
  expect(chat.pending(), "every queued chat answer was used").toBe(0);
  expect(emb.pending(), "every queued embedding was used").toBe(0);
});
afterAll(async () => {
  await chat.close();
  await emb.close();
});

/** A unit vector at `degrees` from [1, 0, 0]: its cosine similarity to that is cos(degrees). */
const at = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180), 0];
const embedding = (vector: number[]): UpstreamScript => ({
  kind: "json",
  status: 200,
  body: { object: "list", data: [{ object: "embedding", index: 0, embedding: vector }], model: "text-embedding-3-small", usage: { prompt_tokens: 10, total_tokens: 10 } },
});
const answer = (text: string): UpstreamScript => ({
  kind: "json",
  status: 200,
  body: {
    id: "chatcmpl-s",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  },
});

// 1000 input + 500 output tokens at $1/$2 per M; 10 embedding tokens at $1 per M.
const ANSWER_NANOS = 2_000_000;
const EMBED_NANOS = 10_000;

function identify({ headers }: { headers: Record<string, string | string[] | undefined> }): Identity {
  return { keyId: String(headers["x-key"] ?? "k"), teamId: String(headers["x-team"] ?? "red") };
}

type RouteCache = NonNullable<NonNullable<ConfigInput["models"]>[string]["cache"]>;

async function open(
  cache: RouteCache = { semantic: { embeddingRoute: "embed", threshold: 0.95, ttlSeconds: 60 } },
  options: Parameters<typeof startGateway>[1] = {},
  extra: Partial<ConfigInput> = {},
): Promise<TestGateway> {
  const gw = await startGateway(
    {
      providers: { up: { type: "openai", baseURL: chat.url, apiKey: "sk-chat" }, emb: { type: "openai", baseURL: emb.url, apiKey: "sk-emb" } },
      models: {
        m: { retry: { maxRetries: 0 }, cache, targets: [{ provider: "up", model: "gpt-4o-mini" }] },
        embed: { retry: { maxRetries: 0 }, targets: [{ provider: "emb", model: "text-embedding-3-small" }] },
      },
      prices: { "gpt-4o-mini": { input: 1, output: 2 }, "text-embedding-3-small": { input: 1, output: 0 } },
      cache: { store: "memory" },
      ...extra,
    },
    { identify, ...options },
  );
  opened.push(gw);
  return gw;
}

interface Ask {
  team?: string;
  system?: string;
  extra?: Record<string, unknown>;
  api?: "chat" | "messages";
}

async function ask(gw: TestGateway, question: string, options: Ask = {}) {
  const api = options.api ?? "chat";
  const messages = [...(options.system && api === "chat" ? [{ role: "system", content: options.system }] : []), { role: "user", content: question }];
  const body = api === "chat" ? { model: "m", max_completion_tokens: 200, temperature: 0, messages, ...options.extra } : { model: "m", max_tokens: 200, temperature: 0, messages, ...options.extra };
  const res = await postSse(`${gw.url}${INBOUND[api].path}`, body, { "x-team": options.team ?? "red", ...(api === "messages" ? { "anthropic-version": "2023-06-01" } : {}) });
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  const record = await gw.recordOf(res.headers["x-request-id"]);
  return { res, record, text: read(api, false, JSON.parse(res.text)).text, cache: res.headers["x-tollgate-cache"], similarity: res.headers["x-tollgate-cache-similarity"] };
}

describe("semantic cache", () => {
  test("serves a same-tenant near-duplicate with its similarity, metering the embedding", async () => {
    const gw = await open();
    emb.enqueue(embedding(at(0)));
    chat.enqueue(answer("Paris."));
    const first = await ask(gw, "What is the capital of France?");
    expect(first.cache).toBe("miss");
    expect(first.record.costNanos).toBe(ANSWER_NANOS + EMBED_NANOS);

    emb.enqueue(embedding(at(10)));
    const near = await ask(gw, "what's france's capital city", { api: "messages" });
    expect(near.cache).toBe("semantic-hit");
    expect(near.similarity).toBe(Math.cos((10 * Math.PI) / 180).toFixed(4));
    expect(near.text).toBe("Paris.");
    expect(near.record.cache).toMatchObject({ kind: "semantic", savedNanos: ANSWER_NANOS, ageMs: expect.any(Number) });
    expect(near.record.cache!.similarity).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 5);
    // The embedding is the hit's only attempt, and its only cost.
    expect(near.record.attempts).toMatchObject([{ provider: "emb", model: "text-embedding-3-small", status: "ok", costNanos: EMBED_NANOS }]);
    expect(near.record.costNanos).toBe(EMBED_NANOS);
    expect(chat.requests).toHaveLength(1);
    // What was embedded: the last user turn, through the embedding route's own target.
    expect(emb.requests.at(-1)!.body).toEqual({ model: "text-embedding-3-small", input: ["what's france's capital city"] });

    emb.enqueue(embedding(at(30)));
    chat.enqueue(answer("It depends."));
    const far = await ask(gw, "What is the capital of Australia?");
    expect(far.cache).toBe("miss");
    expect(far.text).toBe("It depends.");
  });

  test("never serves another tenant's answer, nor one given in another context", async () => {
    const gw = await open();
    emb.enqueue(embedding(at(0)));
    chat.enqueue(answer("red's answer"));
    await ask(gw, "What is the capital of France?", { team: "red" });

    emb.enqueue(embedding(at(0)));
    chat.enqueue(answer("blue's answer"));
    const blue = await ask(gw, "What is the capital of France?", { team: "blue" });
    expect(blue.cache).toBe("miss");
    expect(blue.text).toBe("blue's answer");

    emb.enqueue(embedding(at(1)));
    chat.enqueue(answer("Paris, en français."));
    const french = await ask(gw, "What is the capital of France?", { system: "Answer in French." });
    expect(french.cache).toBe("miss");

    emb.enqueue(embedding(at(2)));
    const red = await ask(gw, "capital of france?", { team: "red" });
    expect(red).toMatchObject({ cache: "semantic-hit", text: "red's answer" });
  });

  test("skips requests with tools or a high temperature, without embedding them", async () => {
    const gw = await open();
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }];
    chat.enqueue(answer("with tools"), answer("hot"));
    const embedded = emb.requests.length;
    expect((await ask(gw, "Hello?", { extra: { tools } })).cache).toBe("miss");
    expect((await ask(gw, "Hello?", { extra: { temperature: 0.9 } })).cache).toBe("miss");
    expect(emb.requests.length).toBe(embedded);
  });

  test("allowTools and maxTemperature open it to such requests", async () => {
    const gw = await open({ semantic: { embeddingRoute: "embed", threshold: 0.95, ttlSeconds: 60, allowTools: true, maxTemperature: 1 } });
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }];
    emb.enqueue(embedding(at(0)), embedding(at(5)));
    chat.enqueue(answer("tooled"));
    await ask(gw, "Hello?", { extra: { tools, temperature: 0.9 } });
    expect(await ask(gw, "Hello there?", { extra: { tools, temperature: 0.9 } })).toMatchObject({ cache: "semantic-hit", text: "tooled" });
  });

  test("an exact hit needs no embedding; the semantic entry expires with its TTL", async () => {
    let now = Date.UTC(2030, 0, 1);
    const gw = await open({ exact: { ttlSeconds: 600 }, semantic: { embeddingRoute: "embed", threshold: 0.9, ttlSeconds: 30 } }, { clock: () => now });
    emb.enqueue(embedding(at(0)));
    chat.enqueue(answer("cached"));
    await ask(gw, "Q?");
    const embedded = emb.requests.length;
    expect(await ask(gw, "Q?")).toMatchObject({ cache: "hit", text: "cached" });
    expect(emb.requests.length).toBe(embedded);

    now += 29_000;
    emb.enqueue(embedding(at(5)));
    expect((await ask(gw, "Q, please?")).cache).toBe("semantic-hit");
    now += 1_000;
    emb.enqueue(embedding(at(5)));
    chat.enqueue(answer("fresh"));
    expect(await ask(gw, "Q, please?")).toMatchObject({ cache: "miss", text: "fresh" });
    // The exact entry lives on (600 s).
    expect((await ask(gw, "Q?")).cache).toBe("hit");
  });

  test("a failing embedding route only skips the semantic cache", async () => {
    const logs: string[] = [];
    const gw = await open(undefined, { log: (m) => logs.push(m) });
    emb.enqueue({ kind: "json", status: 500, body: { error: { message: "embedder down", type: "server_error" } } });
    chat.enqueue(answer("still answered"));
    const res = await ask(gw, "Anyone there?");
    expect(res).toMatchObject({ cache: "miss", text: "still answered" });
    expect(res.record.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["emb", "error"],
      ["up", "ok"],
    ]);
    expect(logs.some((m) => m.includes('embedding through "embed" failed'))).toBe(true);
  });

  test("the embedding's cost is the request's even when the answer then fails, and nothing is stored", async () => {
    const gw = await open();
    emb.enqueue(embedding(at(0)));
    chat.enqueue({ kind: "json", status: 400, body: { error: { message: "nope", type: "invalid_request_error" } } });
    const res = await postSse(`${gw.baseURL}/chat/completions`, { model: "m", temperature: 0, messages: [{ role: "user", content: "Fail, please." }] }, { "x-team": "red" });
    expect(res.status).toBe(400);
    const record = await gw.recordOf(res.headers["x-request-id"]);
    expect(record).toMatchObject({ outcome: "failed", costNanos: EMBED_NANOS });
    expect(record.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["emb", "ok"],
      ["up", "error"],
    ]);
    emb.enqueue(embedding(at(0)));
    chat.enqueue(answer("now it works"));
    expect(await ask(gw, "Fail, please.")).toMatchObject({ cache: "miss", text: "now it works" });
  });

  test("a semantic hit counts toward request limits, since its embedding is a paid call", async () => {
    const gw = await open(undefined, {}, { budgets: { rules: [{ scope: "key", period: "minute", requests: 2 }] } });
    emb.enqueue(embedding(at(0)), embedding(at(3)));
    chat.enqueue(answer("Paris."));
    await ask(gw, "What is the capital of France?");
    expect((await ask(gw, "capital of France?")).cache).toBe("semantic-hit");
    const refused = await postSse(`${gw.baseURL}/chat/completions`, { model: "m", temperature: 0, messages: [{ role: "user", content: "France's capital?" }] });
    expect(refused.status).toBe(429);
  });

  test("a route that cannot embed is refused when the gateway starts", async () => {
    const start = startGateway({
      providers: { sim: { type: "anthropic", baseURL: chat.url, apiKey: "k" }, up: { type: "openai", baseURL: chat.url, apiKey: "k" } },
      routes: { m: { cache: { semantic: { embeddingRoute: "claude", ttlMs: 60_000 } }, targets: [{ provider: "up", model: "x" }] }, claude: { targets: [{ provider: "sim", model: "claude" }] } },
    });
    await expect(start).rejects.toThrow(/routes\.m\.cache\.semantic\.embeddingRoute: Route "claude" cannot embed/);
  });
});
