import type { AlertsConfig } from "./alerts-schema.js";
import type { SecretRef } from "./secret-ref.js";

/** A webhook as resolved from config (its URL and secret read from the environment). */
export type ResolvedWebhook = Omit<AlertsConfig["webhooks"][string], "url" | "secret"> & { name: string; url: string; secret?: string };

export type ResolvedAlerts = Omit<AlertsConfig, "webhooks"> & { webhooks: ResolvedWebhook[] };

/** Reads the webhooks' URLs and secrets, and checks that rules name webhooks that exist and ids are unique. */
export function resolveAlerts(config: AlertsConfig, secret: (ref: SecretRef, path: string) => string, issues: { path: string; message: string }[]): ResolvedAlerts {
  const webhooks = Object.entries(config.webhooks).map(([name, w]): ResolvedWebhook => {
    const secretValue = w.secret === undefined ? undefined : secret(w.secret, `alerts.webhooks.${name}.secret`);
    return { name, url: secret(w.url, `alerts.webhooks.${name}.url`), format: w.format, ...(secretValue ? { secret: secretValue } : {}) };
  });
  for (const w of webhooks) {
    if (w.url !== "" && !/^https?:\/\//.test(w.url)) issues.push({ path: `alerts.webhooks.${w.name}.url`, message: "A webhook URL is http(s)://..." });
  }
  const seen = new Set<string>();
  config.rules.forEach((rule, i) => {
    if (seen.has(rule.id)) issues.push({ path: `alerts.rules[${i}].id`, message: `Rule id "${rule.id}" is used twice.` });
    seen.add(rule.id);
    for (const name of rule.webhooks ?? []) {
      if (!Object.hasOwn(config.webhooks, name))
        issues.push({ path: `alerts.rules[${i}].webhooks`, message: `Unknown webhook "${name}"; defined: ${Object.keys(config.webhooks).join(", ") || "none"}.` });
    }
  });
  return { ...config, webhooks };
}
