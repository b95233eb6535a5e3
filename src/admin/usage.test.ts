import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { renderError } from "../errors/render.js";
import { insertRecords } from "../ledger/insert-records.js";
import type { RequestRecord } from "../spec/request-record.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";
import { getUsage } from "./usage.js";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-21T12:30:00Z");
let services: TestServices;

beforeEach(async () => {
  services = await testServices();
});
afterEach(() => services.close());

function record(
  id: string,
  startedAt: number,
  who: { keyId: string; userId: string; teamId?: string; tags?: Record<string, string> },
  model: string,
  tokens: [number, number],
  costNanos: number,
): RequestRecord {
  const usage = { inputTokens: tokens[0], outputTokens: tokens[1], cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" as const };
  return {
    id,
    api: "openai-chat",
    startedAt,
    route: "fast",
    identity: who,
    stream: false,
    status: 200,
    outcome: "complete",
    attempts: [{ attempt: 1, provider: "up", model, startedAt, durationMs: 10, status: "ok", usage, costNanos }],
    usage,
    costNanos,
    latencyMs: 12,
  };
}

const alice = { keyId: "key_a", userId: "alice", teamId: "red", tags: { feature: "search" } };
const bob = { keyId: "key_b", userId: "bob", tags: { feature: "chat" } };

async function seed(): Promise<void> {
  await insertRecords(services.sql, [
    record("r1", NOW - 2 * HOUR, alice, "gpt-4o-mini", [100, 50], 1_234_567),
    record("r2", NOW - 2 * HOUR + 60_000, alice, "gpt-4o-mini", [10, 5], 500),
    record("r3", NOW - 30 * 60_000, bob, "gpt-4o", [1000, 200], 4_500_000_001),
    // Outside the default 24 hours.
    record("r4", NOW - 30 * HOUR, alice, "gpt-4o", [1, 1], 999),
  ]);
}

const usage = async (query: Record<string, string> = {}) =>
  (await getUsage({ params: {}, query, body: undefined, services, principal: OWNER, now: NOW })).body as Record<string, unknown> & {
    totals: Record<string, unknown>[];
    series: Record<string, unknown>[];
  };

describe("GET /admin/usage", () => {
  test("defaults: the last 24 h by model, money as integer nano-dollars and a 6-decimal USD string", async () => {
    await seed();
    const report = await usage();
    expect(report).toMatchObject({ object: "usage", group_by: "model", from: "2026-11-20T12:30:00.000Z", to: "2026-11-21T12:30:00.000Z", granularity: null, series: [] });
    expect(report.totals).toEqual([
      { group: "gpt-4o", requests: 1, input_tokens: 1000, output_tokens: 200, cost_nanos: 4_500_000_001, cost_usd: "4.500000", saved_nanos: 0, saved_usd: "0.000000" },
      { group: "gpt-4o-mini", requests: 2, input_tokens: 110, output_tokens: 55, cost_nanos: 1_235_067, cost_usd: "0.001235", saved_nanos: 0, saved_usd: "0.000000" },
    ]);
  });

  test("by key, user, team and tag; requests without a team are the null group", async () => {
    await seed();
    const groups = async (query: Record<string, string>) => (await usage(query)).totals.map((t) => [t.group, t.requests, t.cost_nanos]);
    expect(await groups({ group_by: "key" })).toEqual([
      ["key_b", 1, 4_500_000_001],
      ["key_a", 2, 1_235_067],
    ]);
    expect(await groups({ group_by: "user" })).toEqual([
      ["bob", 1, 4_500_000_001],
      ["alice", 2, 1_235_067],
    ]);
    expect(await groups({ group_by: "team" })).toEqual([
      [null, 1, 4_500_000_001],
      ["red", 2, 1_235_067],
    ]);
    expect(await groups({ group_by: "tag", tag: "feature" })).toEqual([
      ["chat", 1, 4_500_000_001],
      ["search", 2, 1_235_067],
    ]);
    expect(await groups({ group_by: "route" })).toEqual([["fast", 3, 4_501_235_068]]);
  });

  test("a range as ISO or epoch (seconds or ms), and an hourly series with ISO buckets", async () => {
    await seed();
    const from = NOW - 31 * HOUR;
    for (const f of [new Date(from).toISOString(), String(from), String(from / 1000)]) {
      const report = await usage({ from: f, to: "2026-11-21T12:30:00Z", group_by: "user", granularity: "hour" });
      expect(report.from).toBe(new Date(from).toISOString());
      expect(report.totals.map((t) => [t.group, t.requests])).toEqual([
        ["bob", 1],
        ["alice", 3],
      ]);
      expect(report.series).toEqual([
        { bucket: "2026-11-20T06:00:00.000Z", group: "alice", requests: 1, input_tokens: 1, output_tokens: 1, cost_nanos: 999, cost_usd: "0.000001", saved_nanos: 0, saved_usd: "0.000000" },
        { bucket: "2026-11-21T10:00:00.000Z", group: "alice", requests: 2, input_tokens: 110, output_tokens: 55, cost_nanos: 1_235_067, cost_usd: "0.001235", saved_nanos: 0, saved_usd: "0.000000" },
        {
          bucket: "2026-11-21T12:00:00.000Z",
          group: "bob",
          requests: 1,
          input_tokens: 1000,
          output_tokens: 200,
          cost_nanos: 4_500_000_001,
          cost_usd: "4.500000",
          saved_nanos: 0,
          saved_usd: "0.000000",
        },
      ]);
    }
  });

  test("an empty ledger: empty totals", async () => {
    expect((await usage({ granularity: "day" })).totals).toEqual([]);
  });

  test.each([
    [{ group_by: "planet" }, "group_by"],
    [{ granularity: "minute" }, "granularity"],
    [{ from: "yesterday" }, "from"],
    [{ to: "2026-13-45" }, "to"],
    [{ from: "2026-11-21T00:00:00Z", to: "2026-11-20T00:00:00Z" }, "from"],
    [{ group_by: "tag" }, "tag"],
    [{ group_by: "model", tag: "feature" }, "tag"],
    [{ from: "2020-01-01", granularity: "hour" }, "granularity"],
    [{ groupBy: "model" }, "groupBy"],
  ])("400 naming the parameter: %j", async (query, param) => {
    const err = await getUsage({ params: {}, query, body: undefined, services, principal: OWNER, now: NOW }).then(
      () => expect.fail("expected a 400"),
      (e: unknown) => renderError(e),
    );
    expect(err.status).toBe(400);
    expect(err.body.error).toMatchObject({ type: "invalid_request_error", param });
    expect(err.body.error.message).toContain(param);
  });
});
