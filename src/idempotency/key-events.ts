import type { KeyWatch } from "./types.js";

class Watcher implements KeyWatch {
  private pending = false;
  private wake: (() => void) | undefined;

  constructor(private readonly onClose: (watcher: Watcher) => void) {}

  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  changed(timeoutMs: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", abort);
        this.wake = undefined;
        this.pending = false;
      };
      const abort = () => {
        settle();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        settle();
        resolve();
      }, timeoutMs);
      this.wake = () => {
        settle();
        resolve();
      };
      signal.addEventListener("abort", abort, { once: true });
    });
  }

  close(): void {
    this.wake?.();
    this.onClose(this);
  }
}

/** In-process wake-ups per key: a promise per waiter, never a poll. */
export class KeyEvents {
  private readonly watchers = new Map<string, Set<Watcher>>();

  watch(key: string): KeyWatch {
    const watcher = new Watcher((w) => {
      const set = this.watchers.get(key);
      set?.delete(w);
      if (set?.size === 0) this.watchers.delete(key);
    });
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(watcher);
    return watcher;
  }

  notify(key: string): void {
    for (const watcher of this.watchers.get(key) ?? []) watcher.notify();
  }
}
