/** One alert: what fired, about whom, for which window. */
export interface Alert {
  ruleId: string;
  kind: string;
  severity: "warning" | "critical";
  /** Whom it is about: "key key_a day budget", "openai/gpt-4o", "ledger". */
  subject: string;
  /** Start of the window it covers (epoch ms): the alert is sent once per rule, subject and window. */
  windowStart: number;
  summary: string;
  details: Record<string, unknown>;
}

// Resolved where the rest of the config is; the alerts code reads it from here.
export type { ResolvedWebhook } from "../config/resolve-alerts.js";
