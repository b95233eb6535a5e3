import type { RequestRecord } from "../../spec/request-record.js";
import type { ProviderHealth } from "../provider-health-query.js";

/**
 * Provider health of `records`, computed here from the records alone, as the dashboard
 * defines it: each attempt beside the next by attempt number; within one step, the same
 * provider and model again is a retry, anything else a fallback. Ordered as the query orders.
 */
export function expectedProviderHealth(records: readonly RequestRecord[]): ProviderHealth[] {
  const out = new Map<string, ProviderHealth>();
  for (const record of records) {
    const attempts = [...record.attempts].sort((a, b) => a.attempt - b.attempt);
    attempts.forEach((a, i) => {
      const h = out.get(a.provider) ?? { provider: a.provider, attempts: 0, errors: 0, retries: 0, fallbacks: 0 };
      out.set(a.provider, h);
      h.attempts++;
      if (a.status === "error") h.errors++;
      const next = attempts[i + 1];
      if (next === undefined || (next.step ?? 1) !== (a.step ?? 1)) return;
      if (next.provider === a.provider && next.model === a.model) h.retries++;
      else h.fallbacks++;
    });
  }
  return [...out.values()].sort((a, b) => b.attempts - a.attempts || (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
}
