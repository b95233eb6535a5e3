import { SIGNATURE_HEADER, signatureHeader } from "./signature.js";
import type { Alert, ResolvedWebhook } from "./types.js";
import { webhookBody } from "./webhook-body.js";

const TIMEOUT_MS = 10_000;

/** POSTs one alert to one webhook, signed when it has a secret. Resolves with an error text, or undefined on a 2xx. */
export async function deliver(webhook: ResolvedWebhook, alert: Alert, meta: { id: string; createdAt: number }, now: number = Date.now()): Promise<string | undefined> {
  const body = JSON.stringify(webhookBody(webhook.format, alert, meta));
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "tollgate-alerts", "tollgate-alert-id": meta.id };
  if (webhook.secret) headers[SIGNATURE_HEADER] = signatureHeader(webhook.secret, body, Math.floor(now / 1000));
  try {
    const res = await fetch(webhook.url, { method: "POST", headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "error" });
    // Drained, so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    // Never the URL: it may carry the webhook's token.
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return cause ?? (err as Error).name ?? "request failed";
  }
}
