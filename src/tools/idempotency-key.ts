import { createHash } from "node:crypto";

/** JSON with object keys sorted, so that the same arguments always give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export interface CallIdentity {
  /** The client's Idempotency-Key (scoped to its key id), or the request id when it sent none. */
  base: string;
  step: number;
  position: number;
  tool: string;
  args: unknown;
}

/**
 * The idempotency key of one tool call: the same request retried, taking the same step
 * with the same arguments, gets the same key, and any difference gives another.
 */
export function toolCallKey(call: CallIdentity): string {
  const digest = createHash("sha256")
    .update(canonicalJson([call.base, call.step, call.position, call.tool, canonicalJson(call.args)]))
    .digest("base64url");
  return `tgt_${digest}`;
}
