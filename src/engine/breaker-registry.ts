import type { BreakerPolicy } from "../config/resolve.js";
import { CircuitBreaker } from "./circuit-breaker.js";

/** One breaker per provider/model pair, shared by every route that targets it. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  get(provider: string, model: string, policy: BreakerPolicy): CircuitBreaker {
    const key = `${provider}/${model}`;
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(policy);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  /** The breaker of a target if it was ever used, without creating one. */
  peek(provider: string, model: string): CircuitBreaker | undefined {
    return this.breakers.get(`${provider}/${model}`);
  }

  /** Targets whose breaker is open or probing, and since when. */
  unhealthy(): { target: string; since: number }[] {
    return [...this.breakers].flatMap(([target, b]) => (b.unhealthySince === undefined ? [] : [{ target, since: b.unhealthySince }]));
  }

  snapshot(): { target: string; state: string }[] {
    return [...this.breakers].map(([target, b]) => ({ target, state: b.state }));
  }
}
