import { setTimeout as sleep } from "node:timers/promises";

/**
 * The simulator's sense of time: when tokens are due and how to wait for them.
 * The real clock sleeps on timers; tests inject a virtual one that never waits.
 */
export interface SimulatorClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: SimulatorClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export interface VirtualClock extends SimulatorClock {
  /** Virtual milliseconds slept so far. */
  elapsed(): number;
}

/**
 * A clock whose sleeps return on the next turn of the event loop and advance a virtual
 * time instead: the simulator keeps its exact schedule without spending wall-clock time.
 */
export function virtualClock(): VirtualClock {
  let time = 0;
  return {
    now: () => time,
    elapsed: () => time,
    async sleep(ms, signal) {
      signal.throwIfAborted();
      time += Math.max(0, ms);
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
    },
  };
}
