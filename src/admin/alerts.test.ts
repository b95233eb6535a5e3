import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { webhookReceiver } from "../alerts/test-support/webhook-receiver.js";
import { renderError } from "../errors/render.js";
import { Redactor } from "../errors/redact.js";
import { createAlertRule, deleteAlertRule, getAlerts, testAlert } from "./alerts.js";
import type { Principal } from "../orgs/principal.js";
import { createRepricingRun, getRepricingRuns } from "./repricing.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";
import { getUsage } from "./usage.js";
import type { AdminHandler } from "./types.js";

let services: TestServices;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

beforeEach(async () => {
  receiver = await webhookReceiver();
  services = await testServices({
    alerts: { webhooks: { ops: { url: receiver.url("/ops?token=hook-secret-token"), secret: "s3cret" } }, rules: [{ id: "budgets", kind: "budget", thresholds: [80] }] },
  });
});
afterEach(async () => {
  await services.close();
  await receiver.close();
});

const call = (handler: AdminHandler, input: { body?: unknown; query?: Record<string, string>; params?: Record<string, string> } = {}, principal: Principal = OWNER) =>
  handler({ params: input.params ?? {}, query: input.query ?? {}, body: input.body, services, principal });
/** The status and error code a refused call renders as. */
async function refused(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const err = await promise.then(
    () => expect.unreachable("the call succeeded"),
    (e: unknown) => e,
  );
  const rendered = renderError(err, new Redactor());
  const error = (rendered.body as { error: { code: string; message: string } }).error;
  return { status: rendered.status, code: error.code, message: error.message };
}

describe("/admin/alerts", () => {
  it("lists webhooks without their URLs, rules from config and the API, and adds and removes API rules", async () => {
    const created = await call(createAlertRule, { body: { id: "runaway", kind: "spend_rate", per: "tag:team", factor: 4 } });
    expect(created).toEqual({ status: 201, body: { id: "runaway", kind: "spend_rate", per: "tag:team", windowHours: 1, trailingWindows: 24, factor: 4, minUsd: 1, source: "api" } });
    const listed = await call(getAlerts);
    expect(JSON.stringify(listed.body)).not.toContain("hook-secret-token");
    expect(listed.body).toMatchObject({
      webhooks: [{ name: "ops", format: "generic", signed: true }],
      rules: [
        { id: "budgets", source: "config" },
        { id: "runaway", source: "api" },
      ],
      recent: [],
    });
    expect(await call(deleteAlertRule, { params: { id: "runaway" } })).toEqual({ status: 200, body: { id: "runaway", object: "alert_rule", deleted: true } });
    expect((await call(getAlerts)).body).toMatchObject({ rules: [{ id: "budgets" }] });
  });

  it("refuses bad rules with a clear 4xx and stores nothing", async () => {
    expect(await refused(call(createAlertRule, { body: { id: "x", kind: "no_such_kind" } }))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await refused(call(createAlertRule, { body: { id: "x", kind: "error_rate", percent: 120 } }))).toMatchObject({ status: 400, message: expect.stringContaining("percent") });
    expect(await refused(call(createAlertRule, { body: { id: "x", kind: "budget", webhooks: ["pager"] } }))).toMatchObject({
      status: 400,
      message: expect.stringContaining('unknown webhook "pager"'),
    });
    expect(await refused(call(createAlertRule, { body: { id: "budgets", kind: "ledger_spooling" } }))).toMatchObject({ status: 409, code: "alert_rule_exists" });
    expect(await refused(call(createAlertRule, { body: { id: "test", kind: "ledger_spooling" } }))).toMatchObject({ status: 400 });
    expect(await refused(call(createAlertRule, { body: "not a rule" }))).toMatchObject({ status: 400 });
    expect(await refused(call(deleteAlertRule, { params: { id: "budgets" } }))).toMatchObject({ status: 400, message: expect.stringContaining("config file") });
    expect(await refused(call(deleteAlertRule, { params: { id: "missing" } }))).toMatchObject({ status: 404, code: "alert_rule_not_found" });
    expect((await call(getAlerts)).body).toMatchObject({ rules: [{ id: "budgets" }] });
  });

  it("sends a signed test alert and says how each webhook answered", async () => {
    const result = await call(testAlert, { body: {} });
    expect(result.body).toMatchObject({ object: "alert_test", results: [{ webhook: "ops", ok: true, error: null, signed: true }] });
    expect(receiver.received).toHaveLength(1);
    expect(await refused(call(testAlert, { body: { webhook: "pager" } }))).toMatchObject({ status: 400, message: expect.stringContaining('no webhook "pager"') });
  });
});

describe("re-costing through the admin API", () => {
  it("refuses a bad price table, as_model without prices, and a run backwards in time", async () => {
    expect(await refused(call(getUsage, { query: { prices: "{not json" } }))).toMatchObject({ status: 400, message: expect.stringContaining("JSON price table") });
    expect(await refused(call(getUsage, { query: { prices: JSON.stringify({ "gpt-4o": { input: "cheap" } }) } }))).toMatchObject({ status: 400 });
    expect(await refused(call(getUsage, { query: { as_model: "gpt-4o" } }))).toMatchObject({ status: 400, message: expect.stringContaining("goes with prices") });
    expect(await refused(call(getUsage, { query: { prices: "{}", granularity: "hour" } }))).toMatchObject({ status: 400, message: expect.stringContaining("granularity") });
    expect(await refused(call(createRepricingRun, { body: { prices: { m: { input: 1, output: 1 } }, from: "2026-01-02", to: "2026-01-01" } }))).toMatchObject({ status: 400 });
    expect(await services.sql.query("SELECT COUNT(*) AS n FROM tollgate_repricing_runs")).toEqual([{ n: 0 }]);
  });

  it("records the signed-in principal as a run's actor, and refuses an actor in the body", async () => {
    const olivia: Principal = { actor: "user:olivia", via: "session", role: "owner", teams: [], userId: "olivia" };
    const body = { prices: { "gpt-4o": { input: 1, output: 2 } }, from: "2026-01-01", to: "2026-01-02", note: "new contract" };
    const run = await call(createRepricingRun, { body }, olivia);
    expect(run).toMatchObject({ status: 201, body: { object: "repricing_run", actor: "user:olivia", note: "new contract" } });
    expect(await call(createRepricingRun, { body })).toMatchObject({ status: 201, body: { actor: OWNER.actor } });
    // Claiming someone else, or even oneself, through the body is refused: nothing more is recorded.
    for (const actor of ["finance@example.com", "user:olivia"]) {
      expect(await refused(call(createRepricingRun, { body: { ...body, actor } }, olivia))).toMatchObject({ status: 400, code: "invalid_request", message: expect.stringContaining("actor") });
    }
    const runs = await call(getRepricingRuns);
    expect((runs.body as { data: { actor: string }[] }).data.map((r) => r.actor).sort()).toEqual([OWNER.actor, "user:olivia"].sort());
  });

  it("answers an empty repriced report for a range without requests", async () => {
    const report = await call(getUsage, { query: { prices: JSON.stringify({ models: { "gpt-4o": [{ input: 1, output: 2 }] } }), group_by: "key" } });
    expect(report.body).toMatchObject({ object: "usage_repriced", group_by: "key", as_model: null, totals: [] });
  });
});
