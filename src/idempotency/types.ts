import type { ErrorType } from "../errors/codes.js";
import type { RecordedAnswer } from "../engine/answer-recorder.js";
import type { CanonicalEmbeddingResponse } from "../spec/embedding.js";
import type { WireApi } from "../spec/canonical-request.js";
import type { Usage } from "../spec/usage.js";

/** What the first request with a key answered, in plain JSON (any store can hold it). */
export type StoredOutcome =
  | { kind: "answer"; answer: RecordedAnswer }
  | { kind: "embedding"; api: WireApi; response: CanonicalEmbeddingResponse & { usage: Usage }; raw: string }
  /** A deterministic rejection by the provider (a 4xx the client caused): the same request would get it again. */
  | { kind: "error"; status: number; type: ErrorType; code: string; message: string; param: string | null };

export interface StoredReplay {
  /** The request that ran. */
  requestId: string;
  completedAt: number;
  /** What it cost: a replay's savings. */
  costNanos: number;
  outcome: StoredOutcome;
}

/** Where a key stands when a request arrives with it. */
export type Claim =
  /** No request holds it: this one runs, holding a lease it renews until it completes or releases. */
  { state: "acquired" } | { state: "running"; fingerprint: string } | { state: "done"; fingerprint: string; replay: StoredReplay };

/** Wakes a waiting duplicate when a key is completed or released. */
export interface KeyWatch {
  /**
   * Resolves once the key changed since the last call (or since the watch began), or after
   * `timeoutMs` (the bounded re-check: a holder that died changes nothing, its lease just lapses).
   * Rejects with the signal's reason when it aborts.
   */
  changed(timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * Idempotency keys shared by every instance that uses the same store. `key` is already
 * scoped and hashed; `owner` is the request id of the one run that holds it.
 */
export interface IdempotencyStore {
  readonly kind: "memory" | "sql" | "redis";
  /** Atomically takes the key if nobody holds it (or its holder's lease lapsed), else says who does. */
  begin(key: string, owner: string, fingerprint: string, leaseMs: number): Promise<Claim>;
  /** Extends the holder's lease; false when it no longer holds the key. */
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Stores the answer for `retentionMs` and wakes waiters; false when `owner` no longer held the key. */
  complete(key: string, owner: string, replay: StoredReplay, retentionMs: number): Promise<boolean>;
  /** Frees the key (the run failed or was cancelled) so that a retry runs again, and wakes waiters. */
  release(key: string, owner: string): Promise<void>;
  /** Starts listening for the key's changes; check the key after this resolves so that no change is missed. */
  watch(key: string): Promise<KeyWatch>;
  close(): Promise<void>;
}
