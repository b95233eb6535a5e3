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

/** A webhook as resolved from config (its URL and secret read from the environment). */
export interface ResolvedWebhook {
  name: string;
  url: string;
  format: "generic" | "slack" | "teams";
  secret?: string;
}
