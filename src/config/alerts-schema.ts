import { z } from "zod";
import { secretRef } from "./secret-ref.js";

const ruleId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a rule id is 1-64 of [A-Za-z0-9_.-]");
const common = {
  id: ruleId,
  /** Webhooks (by name) this rule goes to; all of them when unset. */
  webhooks: z.array(z.string().min(1)).min(1).optional(),
};

/** The rules of docs/alerts.md; each alert is sent once per rule, subject and window. */
export const alertRuleSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    ...common,
    kind: z.literal("budget"),
    /** Percent of a budget's limit used; each one crossed alerts once per budget window. */
    thresholds: z.array(z.number().positive().max(1000)).min(1).default([50, 80, 100]),
    /** Only budgets of this scope; all when unset. */
    scope: z.enum(["key", "user", "team", "tag"]).optional(),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("spend_rate"),
    /** Whose spend: each key, user, team, model, or value of a tag (`tag:NAME`). */
    per: z.union([z.enum(["key", "user", "team", "model", "route"]), z.string().regex(/^tag:[A-Za-z0-9_.:-]{1,64}$/)]).default("key"),
    /** The window (whole hours) compared with the average of the windows before it. */
    windowHours: z.number().int().min(1).max(168).default(1),
    trailingWindows: z.number().int().min(1).max(720).default(24),
    /** Alert when the window's spend is over this many times the trailing average... */
    factor: z.number().positive().default(3),
    /** ...and at least this much (USD), so that cents do not page anyone. */
    minUsd: z.number().nonnegative().default(1),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("breaker_open"),
    /** A target's circuit breaker open (or probing) for longer than this. */
    forSeconds: z.number().int().positive().default(60),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("error_rate"),
    /** Share of a provider's requests answered with a status of 500 or more, in percent. */
    percent: z.number().positive().max(100).default(20),
    windowMinutes: z.number().int().min(1).max(1440).default(5),
    /** Fewer requests than this in the window say nothing. */
    minRequests: z.number().int().positive().default(20),
  }),
  z.strictObject({ ...common, kind: z.literal("ledger_spooling") }),
]);

export const alertsSchema = z.strictObject({
  webhooks: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      z.strictObject({
        /** The URL is a secret (Slack's and Teams' URLs carry their token): "env:NAME" keeps it out of the file. */
        url: secretRef,
        /** generic JSON, or a body Slack's or Teams' incoming webhooks accept. */
        format: z.enum(["generic", "slack", "teams"]).default("generic"),
        /** Signs each body: header `tollgate-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">`. */
        secret: secretRef.optional(),
      }),
    )
    .default({}),
  rules: z.array(alertRuleSchema).default([
    { id: "budgets", kind: "budget", thresholds: [50, 80, 100] },
    { id: "ledger-spooling", kind: "ledger_spooling" },
    { id: "breaker-open", kind: "breaker_open", forSeconds: 60 },
  ]),
  /** How often rules are evaluated. */
  evaluateIntervalMs: z.number().int().min(100).default(30_000),
  /** Failed deliveries are retried with exponential backoff (from 5 s, at most 1 h apart), this many times. */
  maxAttempts: z.number().int().min(1).max(50).default(12),
});

export type AlertRule = z.output<typeof alertRuleSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;
