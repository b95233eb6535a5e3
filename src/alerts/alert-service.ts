import { hostname } from "node:os";
import type { Sql } from "../store/sql.js";
import type { AlertRule } from "../config/alerts-schema.js";
import { deliver } from "./deliver.js";
import { evaluateRule, type AlertInputs } from "./evaluate.js";
import { claimDue, enqueue, markFailed, markSent } from "./outbox.js";
import type { ResolvedAlerts } from "../config/resolve-alerts.js";
import { listStoredRules } from "./rule-store.js";
import type { Alert, ResolvedWebhook } from "./types.js";

const DELIVER_INTERVAL_MS = 2_000;
const CLAIM_BATCH = 20;

export interface AlertServiceOptions {
  config: ResolvedAlerts;
  sql: Sql;
  inputs: Omit<AlertInputs, "sql" | "now">;
  warn: (message: string) => void;
  now?: () => number;
}

/**
 * Evaluates the alert rules (config and admin API) on a timer, records each alert in the
 * outbox (once per rule, subject and window, across instances), and delivers the outbox
 * to the webhooks with retries and backoff. An alert that cannot be recorded because the
 * database is down (the ledger spooling) is sent at once from memory, once per window.
 */
export class AlertService {
  private readonly instance = `${hostname()}:${process.pid}`;
  private readonly sentFromMemory = new Set<string>();
  private evaluateTimer: NodeJS.Timeout | undefined;
  private deliverTimer: NodeJS.Timeout | undefined;
  private work: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: AlertServiceOptions) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  start(): void {
    if (this.options.config.webhooks.length === 0) return;
    this.evaluateTimer = setInterval(() => this.serial(() => this.evaluate()), this.options.config.evaluateIntervalMs).unref();
    this.deliverTimer = setInterval(() => this.serial(() => this.deliverDue()), DELIVER_INTERVAL_MS).unref();
    this.serial(() => this.evaluate());
  }

  /** Runs every rule once and records what fired; returns the alerts that were new. */
  async evaluate(): Promise<Alert[]> {
    const now = this.now;
    let rules: AlertRule[] = this.options.config.rules;
    try {
      rules = [...rules, ...(await listStoredRules(this.options.sql))];
    } catch (err) {
      this.options.warn(`Alert rules from the database unavailable: ${String(err)}`);
    }
    const fresh: Alert[] = [];
    for (const rule of rules) {
      let alerts: Alert[];
      try {
        alerts = await evaluateRule(rule, { ...this.options.inputs, sql: this.options.sql, now }, this.instance);
      } catch (err) {
        this.options.warn(`Alert rule ${rule.id} could not be evaluated: ${String(err)}`);
        continue;
      }
      for (const alert of alerts) {
        try {
          if (await this.record(alert, this.webhooksOf(rule), now)) fresh.push(alert);
        } catch (err) {
          this.options.warn(`Alert ${alert.ruleId} for ${alert.subject} could not be recorded: ${String(err)}`);
        }
      }
    }
    if (fresh.length > 0) await this.deliverDue().catch((err: unknown) => this.options.warn(`Alert delivery: ${String(err)}`));
    return fresh;
  }

  /** Sends what is due in the outbox: one attempt each, failures rescheduled with backoff. */
  async deliverDue(): Promise<void> {
    const now = this.now;
    const byName = new Map(this.options.config.webhooks.map((w) => [w.name, w]));
    const due = await claimDue(this.options.sql, now, CLAIM_BATCH);
    await Promise.all(
      due.map(async (row) => {
        const webhook = byName.get(row.webhook);
        const error = webhook ? await deliver(webhook, JSON.parse(row.payload) as Alert, { id: row.id, createdAt: row.created_at }, now) : `webhook "${row.webhook}" is no longer configured`;
        if (error === undefined) await markSent(this.options.sql, row.id, this.now);
        else {
          await markFailed(this.options.sql, row, error, this.now, this.options.config.maxAttempts);
          this.options.warn(`Alert ${row.id} to webhook ${row.webhook} failed (attempt ${row.attempts + 1}): ${error}`);
        }
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.evaluateTimer);
    clearInterval(this.deliverTimer);
    await this.work;
  }

  private webhooksOf(rule: AlertRule): ResolvedWebhook[] {
    const names = rule.webhooks;
    return names ? this.options.config.webhooks.filter((w) => names.includes(w.name)) : this.options.config.webhooks;
  }

  private async record(alert: Alert, webhooks: ResolvedWebhook[], now: number): Promise<boolean> {
    try {
      return (await enqueue(this.options.sql, alert, webhooks, now)) > 0;
    } catch (err) {
      if (alert.kind !== "ledger_spooling") throw err;
      // The database is what is down: no outbox to write to. Sent from here, once per window.
      const key = JSON.stringify([alert.ruleId, alert.subject, alert.windowStart]);
      if (this.sentFromMemory.has(key)) return false;
      this.sentFromMemory.add(key);
      await Promise.all(webhooks.map((w) => deliver(w, alert, { id: `alr_mem_${now}`, createdAt: now }, now)));
      return true;
    }
  }

  private serial(fn: () => Promise<unknown>): void {
    if (this.closed) return;
    this.work = this.work.then(fn).catch((err: unknown) => this.options.warn(`Alerts: ${String(err)}`));
  }
}
