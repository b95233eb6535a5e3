import type { StreamEvent } from "../spec/stream-events.js";
import type { Usage } from "../spec/usage.js";

/**
 * Watches the canonical events of one answer: keeps the usage the provider reported
 * and the generated text, so the output can be counted if the usage never comes.
 */
export class UsageTap {
  reported: Usage | undefined;
  readonly output: string[] = [];
  /** True once an event carries content, i.e. the answer has begun. */
  started = false;

  observe(events: readonly StreamEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case "text-delta":
        case "reasoning-delta":
          this.output.push(e.text);
          this.started = true;
          break;
        case "tool-call-delta":
          if (e.name) this.output.push(e.name);
          this.output.push(e.argumentsDelta);
          this.started = true;
          break;
        case "finish":
          this.started = true;
          break;
        case "usage":
          // Some providers send cumulative usage more than once; the last one is final.
          this.reported = e.usage;
          this.started = true;
          break;
      }
    }
  }
}
