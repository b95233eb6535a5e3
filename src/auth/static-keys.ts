import { createHash, timingSafeEqual } from "node:crypto";
import type { Identity } from "../spec/identity.js";

const digest = (key: string) => createHash("sha256").update(key).digest();

/** Client keys listed in config, held only as SHA-256 digests and compared in constant time. */
export class StaticKeys {
  private readonly digests: { digest: Buffer; keyId: string }[];

  constructor(keys: readonly string[]) {
    // The key id is a short fingerprint: safe to log, stable across restarts.
    this.digests = keys.map((k) => {
      const d = digest(k);
      return { digest: d, keyId: `key_${d.toString("hex").slice(0, 12)}` };
    });
  }

  get open(): boolean {
    return this.digests.length === 0;
  }

  /** The identity of a presented key, or null. Compares against every key so timing says nothing. */
  verify(presented: string): Identity | null {
    const d = digest(presented);
    let match: string | null = null;
    for (const entry of this.digests) if (timingSafeEqual(d, entry.digest)) match = entry.keyId;
    return match === null ? null : { keyId: match };
  }
}
