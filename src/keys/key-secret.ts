import { hash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A new virtual key secret: "tg_" and 43 base62 characters (about 256 bits). Shown once, never stored. */
export function generateKeySecret(): string {
  const bytes = randomBytes(43);
  let out = "tg_";
  // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
  for (let i = 0; out.length < 46; i++) {
    const b = i < bytes.length ? bytes[i]! : randomBytes(1)[0]!;
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

/** One-shot `crypto.hash` (Node ≥ 21.7): no Hash object per request, as `createHash` made. */
export function hashKeySecret(secret: string): string {
  return hash("sha256", secret, "hex");
}

export function newKeyId(): string {
  return `key_${randomBytes(8).toString("hex")}`;
}

export const isVirtualKeySecret = (value: string) => value.startsWith("tg_");
