import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRecords } from "./insert-records.js";
import { usageDataset } from "./test-support/usage-dataset.js";
import { queryUsage } from "./usage-query.js";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { createTestDatabase, storeKinds, type TestDatabase } from "../store/test-support/test-database.js";
import { costOf, PriceTable } from "../pricing/price-table.js";
import { reprice } from "./reprice.js";
import { applyRepricing, listRepricingRuns } from "./repricing-run.js";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const records = usageDataset(400, T0, 2 * DAY);
// gpt-4o at twice its price; claude-haiku-4-5 dropped from the shipped table by a price of its own; gpt-4o-mini unchanged.
const given = { "gpt-4o": { input: 5, output: 20 }, "claude-haiku-4-5": { input: 0.5, output: 2.5 } };
const prices = new PriceTable(PriceTable.shipped(), given);

/** Each request priced on its own: the reference the grouped figure must match to the nano-dollar per request. */
const expectedCost = (asModel?: string) => records.filter((r) => !r.cache).reduce((n, r) => n + costOf(prices.lookup(asModel ?? r.attempts[0]!.model, r.startedAt)!, r.usage!), 0);

describe.each(storeKinds)("re-costing on %s", (kind) => {
  let db: TestDatabase;
  let sql: Sql;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sql = await openStore(db.url);
    await insertRecords(sql, records);
  });
  afterAll(async () => {
    await sql.close();
    await db.dispose();
  });

  it("puts the recorded cost beside the cost under other prices, per group, writing nothing", async () => {
    const groups = await reprice(sql, prices, { groupBy: "model", from: T0, to: T0 + 2 * DAY });
    const recorded = records.reduce((n, r) => n + (r.costNanos ?? 0), 0);
    expect(groups.reduce((n, g) => n + g.recordedNanos, 0)).toBe(recorded);
    expect(Math.abs(groups.reduce((n, g) => n + g.repricedNanos, 0) - expectedCost())).toBeLessThanOrEqual(records.length);
    expect(groups.every((g) => g.unpriced === 0 && !g.estimated)).toBe(true);
    expect(groups.map((g) => g.requests).reduce((a, b) => a + b)).toBe(records.length);
    // Nothing changed in the ledger.
    const after = await queryUsage(sql, { groupBy: "model", from: T0, to: T0 + 2 * DAY });
    expect(after.totals.reduce((n, t) => n + t.costNanos, 0)).toBe(recorded);
  });

  it("re-costs on another model, marked estimated where the tokenizer differs, and counts models without a price", async () => {
    const onClaude = await reprice(sql, prices, { groupBy: "key", from: T0, to: T0 + 2 * DAY, asModel: "claude-haiku-4-5" });
    expect(onClaude.every((g) => g.estimated)).toBe(true);
    expect(Math.abs(onClaude.reduce((n, g) => n + g.repricedNanos, 0) - expectedCost("claude-haiku-4-5"))).toBeLessThanOrEqual(records.length);
    const onUnknown = await reprice(sql, prices, { groupBy: "tag", tag: "env", from: T0, to: T0 + 2 * DAY, asModel: "no-such-model" });
    expect(onUnknown.every((g) => g.repricedNanos === 0 && g.unpriced > 0)).toBe(true);
  });

  it("applies prices only as a recorded run: who, when, which rows, and the rollups follow", async () => {
    const from = T0 + DAY;
    const to = T0 + 2 * DAY;
    const inRange = records.filter((r) => r.startedAt >= from && r.startedAt < to);
    const run = await applyRepricing(sql, prices, { from, to, actor: "finance@example.com", note: "new contract", pricesJson: JSON.stringify(given) });
    const changed = inRange.filter((r) => !r.cache && costOf(prices.lookup(r.attempts[0]!.model, r.startedAt)!, r.usage!) !== r.costNanos);
    expect(run).toMatchObject({ actor: "finance@example.com", note: "new contract", rowsChanged: changed.length });
    expect(await sql.query("SELECT COUNT(*) AS n FROM tollgate_repricing_rows WHERE run_id = $1", [run.id])).toEqual([{ n: changed.length }]);
    const newTotal = inRange.reduce((n, r) => n + (r.cache ? (r.costNanos ?? 0) : costOf(prices.lookup(r.attempts[0]!.model, r.startedAt)!, r.usage!)), 0);
    // The rollups (which answer whole hours) moved with the raw rows: by model and by tag.
    const [raw] = await sql.query<{ n: number }>("SELECT SUM(cost_nanos) AS n FROM tollgate_ledger_requests WHERE started_at >= $1 AND started_at < $2", [from, to]);
    expect(raw!.n).toBe(newTotal);
    expect((await queryUsage(sql, { groupBy: "model", from, to })).totals.reduce((n, t) => n + t.costNanos, 0)).toBe(newTotal);
    const [rawTags] = await sql.query<{ n: number }>("SELECT SUM(cost_nanos) AS n FROM tollgate_ledger_tags WHERE name = 'env' AND started_at >= $1 AND started_at < $2", [from, to]);
    expect((await queryUsage(sql, { groupBy: "tag", tag: "env", from, to })).totals.reduce((n, t) => n + t.costNanos, 0)).toBe(rawTags!.n);
    // The day before was not touched.
    const before = await queryUsage(sql, { groupBy: "model", from: T0, to: from });
    expect(before.totals.reduce((n, t) => n + t.costNanos, 0)).toBe(records.filter((r) => r.startedAt < from).reduce((n, r) => n + (r.costNanos ?? 0), 0));
    expect((await listRepricingRuns(sql, 10)).map((r) => r.id)).toEqual([run.id]);
    // Applying the same prices again changes nothing more.
    expect((await applyRepricing(sql, prices, { from, to, actor: "finance@example.com", pricesJson: "{}" })).rowsChanged).toBe(0);
  });
});
