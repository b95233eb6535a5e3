import { createHash } from "node:crypto";
import { InvalidIdempotencyKeyError } from "../errors/idempotency-errors.js";
import type { Identity } from "../spec/identity.js";
import type { InboundApi } from "../spec/canonical-request.js";

/** Stripe's and most APIs' bound; UUIDs are 36. */
export const MAX_KEY_LENGTH = 255;
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * The key as the client sent it: the IETF draft's sf-string (`"8e03…"`, with `\"` and `\\`
 * escapes), or the bare value most clients send (Stripe's, OpenAI SDK headers options).
 * Printable ASCII, 1 to 255 characters; anything else is a 400.
 */
export function parseIdempotencyKey(header: string | string[]): string {
  if (Array.isArray(header)) throw new InvalidIdempotencyKeyError("send one Idempotency-Key header, not several.");
  const value = header.trim();
  const key = value.startsWith('"') ? unquote(value) : value;
  if (key.length === 0) throw new InvalidIdempotencyKeyError("the key is empty.");
  if (key.length > MAX_KEY_LENGTH) throw new InvalidIdempotencyKeyError(`the key is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed.`);
  if (!PRINTABLE.test(key)) throw new InvalidIdempotencyKeyError("the key must be printable ASCII (a UUID is a good key).");
  return key;
}

/** RFC 8941 sf-string: `"` … `"`, where only `\"` and `\\` are escapes. */
function unquote(value: string): string {
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\") {
      const next = value[++i];
      if (next !== '"' && next !== "\\") throw new InvalidIdempotencyKeyError('a quoted key may only escape " and \\.');
      out += next;
    } else if (c === '"') {
      if (i !== value.length - 1) throw new InvalidIdempotencyKeyError("nothing may follow the closing quote.");
      return out;
    } else out += c;
  }
  throw new InvalidIdempotencyKeyError("the quoted key has no closing quote.");
}

export type IdempotencyScope = "key" | "team";

/** Whose keys share one namespace: the calling key's own (default), or its team's. */
export function scopeOf(identity: Identity, scope: IdempotencyScope): string {
  return scope === "team" && identity.teamId !== undefined ? `team:${identity.teamId}` : `key:${identity.keyId}`;
}

/** Where a key is stored: a hash of scope and key, so the client's key is never stored or sent on. */
export function scopedKey(scope: string, key: string): string {
  return createHash("sha256").update(`${scope}\n${key}`).digest("hex");
}

/** Fields that choose how the answer is delivered, not what it is: a replay honours the retry's own. */
const DELIVERY_FIELDS = new Set(["stream", "stream_options"]);

/**
 * What makes two requests "the same" for one key: the inbound API and every field of the
 * body as received (canonical JSON: keys sorted), except `stream` and `stream_options`.
 */
export function requestFingerprint(inbound: { api: InboundApi; body: Record<string, unknown> }): string {
  const body = Object.fromEntries(Object.entries(inbound.body).filter(([name]) => !DELIVERY_FIELDS.has(name)));
  return createHash("sha256")
    .update(`${inbound.api}\n${canonicalJson(body)}`)
    .digest("hex");
}

/** JSON with object keys sorted at every depth: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
