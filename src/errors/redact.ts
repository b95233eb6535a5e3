/**
 * Removes secrets from text that may leave the gateway (error messages echoed by
 * upstreams, log lines). Known values are replaced exactly; common key shapes are
 * masked even when the gateway never saw them.
 */
const KEY_SHAPES =
  /\b(sk|tg|pk|rk)[-_][A-Za-z0-9_\-*]{8,}|\bAIza[0-9A-Za-z_-]{20,}|\bBearer\s+[A-Za-z0-9._\-~+/]{8,}=*|\b(AKIA|ASIA)[A-Z0-9]{16}\b|\bya29\.[A-Za-z0-9._-]{8,}|\bABSK[A-Za-z0-9+/]{20,}=*/g;

export class Redactor {
  private readonly secrets: string[] = [];

  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; they are not credible secrets anyway.
    if (secret && secret.length >= 6 && !this.secrets.includes(secret)) {
      this.secrets.push(secret);
      this.secrets.sort((a, b) => b.length - a.length);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
    return out.replace(KEY_SHAPES, "[REDACTED]");
  }

  /** A copy of a flat log object with every string (and every string in a nested object or array) redacted. */
  redactFields<T extends Record<string, unknown>>(fields: T): T {
    return redactValue(fields, this) as T;
  }
}

function redactValue(value: unknown, redactor: Redactor): unknown {
  if (typeof value === "string") return redactor.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redactor));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, redactor);
  return out;
}
