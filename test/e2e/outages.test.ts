import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { createTestDatabase, type TestDatabase } from "../../src/store/test-support/test-database.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadText } from "../support/fixtures.js";
import { startGateway } from "../support/gateway.js";
import { postSse } from "../support/sse-client.js";

// Store outages seen from the gateway: the real Postgres and Redis, reached through a TCP
// proxy the test can cut, as a network failure or a restart looks to the gateway.

let upstream: FakeUpstream;
const ask = { model: "m", messages: [{ role: "user", content: "hi" }] };

beforeAll(async () => {
  upstream = await createFakeUpstream();
  upstream.setDefault({ kind: "status", status: 200, body: loadText("openai-chat/openai-text.json"), headers: { "content-type": "application/json" } });
});
afterAll(async () => {
  await upstream?.close();
});

describe("Postgres goes away mid-load", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    proxy = await TcpProxy.start({ host: "127.0.0.1", port: 5432 });
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.dispose();
  });

  test("requests keep being served, and every ledger row lands once, in order, when it is back", async () => {
    const gw = await startGateway({
      database: { url: db.urlThroughPort(proxy.port) },
      ledger: { spoolDir: `${db.dir}/spool`, flushIntervalMs: 20, batchSize: 5 },
      providers: { up: { type: "openai", baseURL: upstream.url } },
      models: { m: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } },
    });
    const ids: string[] = [];
    const send = async () => {
      const res = await postSse(`${gw.baseURL}/chat/completions`, ask);
      expect(res.status).toBe(200);
      ids.push(res.headers["x-request-id"] as string);
    };
    for (let i = 0; i < 20; i++) await send();
    proxy.cut();
    for (let i = 0; i < 20; i++) await send();
    proxy.restore();
    for (let i = 0; i < 20; i++) await send();
    await gw.close();

    const sql = await openStore(db.url);
    const rows = await sql.query<{ id: string }>("SELECT id FROM tollgate_ledger_requests ORDER BY seq, started_at");
    await sql.close();
    expect(rows.map((r) => r.id)).toEqual(ids);
  });
});

describe("Redis goes away", () => {
  let proxy: TcpProxy;
  const prefix = `tollgate-test-outage-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: "127.0.0.1", port: 6379 });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const gatewayWith = (onStoreFailure: "closed" | "open") =>
    startGateway({
      redis: { url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: `${prefix}-${onStoreFailure}` },
      budgets: { onStoreFailure, rules: [{ scope: "key", period: "minute", requests: 3 }] },
      providers: { up: { type: "openai", baseURL: upstream.url } },
      models: { m: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } },
    });

  test("fail-closed: a clear 503, and the upstream is not called", async () => {
    const gw = await startGateway({
      redis: { url: "redis://127.0.0.1:1", keyPrefix: prefix },
      budgets: { onStoreFailure: "closed", rules: [{ scope: "key", period: "minute", requests: 3 }] },
      providers: { up: { type: "openai", baseURL: upstream.url } },
      models: { m: { targets: [{ provider: "up", model: "gpt-4.1-nano" }] } },
    });
    const before = upstream.requests.length;
    const res = await postSse(`${gw.baseURL}/chat/completions`, ask);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: "budget_store_unavailable" } });
    expect(upstream.requests.length).toBe(before);
    await gw.close();
  });

  test("fail-open: this instance enforces the limits itself while Redis is cut", async () => {
    const gw = await gatewayWith("open");
    const first = await postSse(`${gw.baseURL}/chat/completions`, ask);
    expect(first.status).toBe(200);
    // Settlement runs after the answer is sent; the record comes after it.
    await gw.recordOf(first.headers["x-request-id"]);
    proxy.cut();
    // Redis is unreachable: this instance enforces the same limit from its own counters.
    const during = [];
    for (let i = 0; i < 4; i++) during.push((await postSse(`${gw.baseURL}/chat/completions`, ask)).status);
    expect(during).toEqual([200, 200, 200, 429]);
    proxy.restore();
    await gw.close();
  });
});
