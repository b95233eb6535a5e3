import type { BreakerPolicy } from "../config/resolve.js";

export type BreakerState = "closed" | "open" | "half-open";

/**
 * Per-target circuit breaker: opens after N consecutive failures, lets one probe
 * through after the cooldown (half-open), closes again on its success.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = "closed";
  private troubleSince: number | undefined;

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.current === "open" && this.now() - this.openedAt >= this.policy.cooldownMs) this.current = "half-open";
    return this.current;
  }

  /** When the breaker last left "closed" (epoch ms); undefined while closed. */
  get unhealthySince(): number | undefined {
    return this.troubleSince;
  }

  /** Milliseconds until an open breaker lets a probe through. */
  get retryInMs(): number {
    return this.current === "open" ? Math.max(0, this.policy.cooldownMs - (this.now() - this.openedAt)) : 0;
  }

  /** Takes a slot for one attempt; false when the target must be skipped. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "half-open" && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  onSuccess(): void {
    this.failures = 0;
    this.probing = false;
    this.current = "closed";
    this.troubleSince = undefined;
  }

  onFailure(): void {
    this.probing = false;
    this.failures++;
    if (this.current === "half-open" || this.failures >= this.policy.failureThreshold) {
      this.current = "open";
      this.openedAt = this.now();
      this.troubleSince ??= this.openedAt;
    }
  }

  /** The attempt ended without telling anything about the target's health (client left). */
  release(): void {
    this.probing = false;
  }
}
