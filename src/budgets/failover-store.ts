import { checkReservationId, checkReserve, checkSettle } from "./check-lines.js";
import { BudgetStoreUnavailableError } from "./errors.js";
import type { BudgetStore, CounterLine, CounterState, ReserveResult, SettleOptions } from "./types.js";
import { WINDOW_GRACE_MS } from "./windows.js";

export type StoreFailureMode = "closed" | "open";

export interface FailoverBudgetStoreOptions {
  /** Longest wait on the primary before counting it as down, whatever its client's own timeout (config: budgets.storeTimeoutMs). */
  timeoutMs: number;
  /** While it is down, calls skip the primary (no timeout per request) and one probes it this often. */
  probeIntervalMs?: number;
  clock?: () => number;
}

type Settle = Pick<CounterLine, "counter" | "amount" | "windowEndsAt">;

/**
 * The shared store with a policy for when it is unreachable: "closed" refuses with a 503,
 * "open" enforces the same limits per instance in `local`. Each outage is logged once when
 * it starts and once when it ends. A reservation is settled where it was made; a settlement
 * the primary cannot take in open mode is recorded locally, since actual usage is a fact.
 */
export class FailoverBudgetStore implements BudgetStore {
  readonly kind: string;
  private readonly timeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly clock: () => number;
  private outage: { cause: unknown; probeAt: number } | undefined;
  /** Reservations made locally → when to forget them (well after their TTL, for late settlements). */
  private readonly localReservations = new Map<string, number>();
  /**
   * Reservations the primary may have applied although the call failed (a lost reply, a
   * timeout on a slow server). Nobody will settle them there, so they are released once it
   * answers again rather than holding capacity until their TTL.
   */
  private readonly inDoubt = new Map<string, { lines: Settle[]; expiresAt: number }>();
  private releasing = false;

  constructor(
    private readonly primary: BudgetStore,
    private readonly mode: StoreFailureMode,
    private readonly local: BudgetStore,
    private readonly log: (message: string) => void,
    options: FailoverBudgetStoreOptions,
  ) {
    this.kind = `${primary.kind} (fail ${mode})`;
    this.timeoutMs = options.timeoutMs;
    this.probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.clock = options.clock ?? Date.now;
  }

  async reserve(reservationId: string, lines: readonly CounterLine[], ttlMs: number): Promise<ReserveResult> {
    // Checked here so that a malformed call is reported as such, not as an outage.
    checkReservationId(reservationId);
    checkReserve(lines, ttlMs);
    const shared = await this.onPrimary(
      () => this.primary.reserve(reservationId, lines, ttlMs),
      () => this.inDoubt.set(reservationId, { lines: lines.map((line) => ({ ...line, amount: 0 })), expiresAt: this.clock() + ttlMs }),
    );
    if (shared) return shared.value;
    const now = this.clock();
    this.forgetOldReservations(now);
    this.localReservations.set(reservationId, now + ttlMs + WINDOW_GRACE_MS);
    return this.local.reserve(reservationId, lines, ttlMs);
  }

  async settle(reservationId: string, actual: readonly Settle[], options: SettleOptions = {}): Promise<void> {
    checkReservationId(reservationId);
    checkSettle(actual);
    this.forgetOldReservations(this.clock());
    if (this.localReservations.delete(reservationId)) return this.local.settle(reservationId, actual, options);
    const shared = await this.onPrimary(() => this.primary.settle(reservationId, actual, options));
    if (!shared) await this.local.settle(reservationId, actual, options);
  }

  async read(counters: readonly string[]): Promise<CounterState[]> {
    const shared = await this.onPrimary(() => this.primary.read(counters));
    return shared ? shared.value : this.local.read(counters);
  }

  /** Straight to the primary: a failure here leaves leases to expire, and is no outage for requests. */
  async recovered(): Promise<void> {
    await this.primary.recovered?.();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.primary.close(), this.local.close()]);
  }

  /**
   * The primary's answer, or undefined when it is down and the mode is open (closed throws).
   * `onFailure` runs when the call was made and failed, so its effect is unknown.
   */
  private async onPrimary<T>(call: () => Promise<T>, onFailure?: () => void): Promise<{ value: T } | undefined> {
    if (this.outage) {
      if (this.clock() < this.outage.probeAt) return this.unavailable(this.outage.cause);
      // This call is the probe; the others keep skipping the primary until it answers.
      this.outage.probeAt = this.clock() + this.probeIntervalMs;
    }
    let value: T;
    try {
      value = await withTimeout(call(), this.timeoutMs);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      onFailure?.();
      if (!this.outage) {
        const policy = this.mode === "open" ? "enforcing limits per instance (fail open)" : "refusing requests (fail closed)";
        this.log(`Budget store ${this.primary.kind} is unavailable (${describe(error)}); ${policy} until it is back.`);
      }
      this.outage = { cause: error, probeAt: this.clock() + this.probeIntervalMs };
      return this.unavailable(error);
    }
    if (this.outage) {
      this.outage = undefined;
      this.log(`Budget store ${this.primary.kind} is back; shared limits apply again.`);
    }
    if (this.inDoubt.size > 0) void this.releaseInDoubt();
    return { value };
  }

  private unavailable(cause: unknown): undefined {
    if (this.mode === "closed") throw new BudgetStoreUnavailableError(cause);
    return undefined;
  }

  /** In the background, one at a time; what fails stays for the next time the primary answers. */
  private async releaseInDoubt(): Promise<void> {
    if (this.releasing) return;
    this.releasing = true;
    try {
      for (const [id, { lines, expiresAt }] of this.inDoubt) {
        // Past its TTL the primary has let it go by itself.
        if (expiresAt > this.clock()) await withTimeout(this.primary.settle(id, lines), this.timeoutMs);
        this.inDoubt.delete(id);
      }
    } catch {
      // The primary is failing again; the next call notices and logs it.
    } finally {
      this.releasing = false;
    }
  }

  /** Entries are added with a roughly increasing deadline, so the old ones are at the front. */
  private forgetOldReservations(now: number): void {
    for (const [id, forgetAt] of this.localReservations) {
      if (forgetAt > now) return;
      this.localReservations.delete(id);
    }
  }
}

/**
 * `promise`, or a rejection once `ms` pass without its answer. A call answered with no I/O (a
 * reservation granted from a lease) has settled before this turn's microtasks end: only a call
 * still pending then gets a timer.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    promise.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
    // Queued after the reaction above: an answer already there has run it by then.
    queueMicrotask(() => {
      if (!settled) timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
