import type { Redactor } from "../errors/redact.js";

/** Field names whose values are credentials: dropped, never hashed into the log. */
const SECRET_FIELD = /secret|password|passwd|authorization|cookie|csrf|^hash$|api_?key$|^(access|refresh|id)_token$/i;
/** A record bigger than this is logged as its size only (key metadata is capped at 16 KiB). */
const MAX_BYTES = 64 * 1024;

function scrub(value: unknown, redactor: Redactor): unknown {
  if (typeof value === "string") return redactor.redact(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, redactor));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_FIELD.test(k) && v !== undefined) out[k] = scrub(v, redactor);
  return out;
}

/**
 * A record as the audit log keeps it (JSON text, or null): credential fields dropped,
 * known secrets and key shapes redacted, so nothing in the log can authenticate anyone.
 */
export function auditValue(value: unknown, redactor: Redactor): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(scrub(value, redactor));
  return Buffer.byteLength(text) > MAX_BYTES ? JSON.stringify({ truncated: true, bytes: Buffer.byteLength(text) }) : text;
}
