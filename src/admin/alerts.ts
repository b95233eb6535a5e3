import { z } from "zod";
import { alertRuleSchema, type AlertRule } from "../config/alerts-schema.js";
import { deliver } from "../alerts/deliver.js";
import { recentAlerts, type OutboxRow } from "../alerts/outbox.js";
import { deleteStoredRule, listStoredRules, storeRule } from "../alerts/rule-store.js";
import type { Alert } from "../alerts/types.js";
import { AlertRuleExistsError } from "../errors/alert-errors.js";
import { InvalidRequestError, NotFoundError } from "../errors/gateway-error.js";
import { iso } from "./time.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { invalidField, parseWith } from "./validate.js";

const RECENT = 100;

const alertView = (row: OutboxRow) => {
  const alert = JSON.parse(row.payload) as Alert;
  return {
    id: row.id,
    object: "alert",
    rule_id: row.rule_id,
    kind: row.kind,
    severity: alert.severity,
    subject: row.subject,
    summary: alert.summary,
    window_start: iso(row.window_start),
    webhook: row.webhook,
    created_at: iso(row.created_at),
    state: row.state,
    attempts: row.attempts,
    next_attempt_at: row.state === "pending" ? iso(row.next_attempt_at) : null,
    sent_at: row.sent_at === null ? null : iso(row.sent_at),
    last_error: row.last_error,
  };
};

function checkWebhooks(rule: AlertRule, services: AdminServices): void {
  const names = new Set(services.config.alerts.webhooks.map((w) => w.name));
  const unknown = (rule.webhooks ?? []).find((n) => !names.has(n));
  if (unknown !== undefined) throw invalidField("webhooks", `unknown webhook "${unknown}"; configured: ${[...names].join(", ") || "none"}.`);
}

/**
 * GET /admin/alerts: the webhooks (names and formats, never their URLs), the rules from
 * config and from this API, and the latest alerts with their delivery state.
 */
export const getAlerts: AdminHandler = async ({ query, services }) => {
  parseWith(z.strictObject({}), query, "query");
  const sql = await services.store();
  const stored = await listStoredRules(sql);
  return {
    status: 200,
    body: {
      object: "alerts",
      webhooks: services.config.alerts.webhooks.map((w) => ({ name: w.name, format: w.format, signed: w.secret !== undefined })),
      rules: [...services.config.alerts.rules.map((r) => ({ ...r, source: "config" })), ...stored.map((r) => ({ ...r, source: "api" }))],
      recent: (await recentAlerts(sql, RECENT)).map(alertView),
    },
  };
};

/** POST /admin/alerts: adds a rule (the body is one rule, as in config `alerts.rules`). */
export const createAlertRule: AdminHandler = async ({ body, services, now = Date.now() }) => {
  const rule = parseWith(alertRuleSchema, body, "body");
  if (rule.id === "test") throw invalidField("id", '"test" is the path of POST /admin/alerts/test; choose another id.');
  checkWebhooks(rule, services);
  if (services.config.alerts.rules.some((r) => r.id === rule.id)) throw new AlertRuleExistsError(rule.id);
  if (!(await storeRule(await services.store(), rule, now))) throw new AlertRuleExistsError(rule.id);
  return { status: 201, body: { ...rule, source: "api" } };
};

/** DELETE /admin/alerts/:id: removes a rule added through the API (config rules change with the config). */
export const deleteAlertRule: AdminHandler = async ({ params, services }) => {
  const id = params.id!;
  if (services.config.alerts.rules.some((r) => r.id === id)) throw new InvalidRequestError("invalid_request", `Alert rule "${id}" is defined in the config file; change it there.`, { param: "id" });
  if (!(await deleteStoredRule(await services.store(), id))) throw new NotFoundError("alert_rule_not_found", `No alert rule "${id}".`);
  return { status: 200, body: { id, object: "alert_rule", deleted: true } };
};

const testBody = z.strictObject({ webhook: z.string().min(1).optional() }).optional();

/** POST /admin/alerts/test: sends a sample alert to every webhook (or one), at once, and says how each answered. */
export const testAlert: AdminHandler = async ({ body, services, now = Date.now() }) => {
  const b = parseWith(testBody, body, "body");
  const webhooks = services.config.alerts.webhooks.filter((w) => b?.webhook === undefined || w.name === b.webhook);
  if (webhooks.length === 0)
    throw b?.webhook === undefined ? new InvalidRequestError("invalid_request", "No webhooks are configured (alerts.webhooks).") : invalidField("webhook", `no webhook "${b.webhook}".`);
  const sample: Alert = {
    ruleId: "test",
    kind: "test",
    severity: "warning",
    subject: "tollgate alerts test",
    windowStart: now,
    summary: "A test alert from Tollgate: this webhook receives alerts.",
    details: { test: true },
  };
  const id = `alr_test_${now.toString(36)}`;
  const results = await Promise.all(
    webhooks.map(async (w) => ({ webhook: w.name, format: w.format, signed: w.secret !== undefined, error: (await deliver(w, sample, { id, createdAt: now }, now)) ?? null })),
  );
  return { status: 200, body: { object: "alert_test", id, results: results.map((r) => ({ ...r, ok: r.error === null })) } };
};
