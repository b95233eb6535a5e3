import { vi } from "vitest";
import { errors as undiciErrors } from "undici";
import type { BreakerPolicy, ResolvedRoute, RetryPolicy, Timeouts } from "../../config/resolve.js";
import { Redactor } from "../../errors/redact.js";
import { PriceTable } from "../../pricing/price-table.js";
import { createOpenAIChatAdapter } from "../../providers/openai/adapter.js";
import type { Provider } from "../../providers/provider.js";
import type { CanonicalRequest } from "../../spec/canonical-request.js";
import type { HttpRequestSpec, Transport, TransportOptions, UpstreamHttpResponse } from "../../transport/http-transport.js";
import type { BodyListener, UpstreamBody } from "../../transport/upstream-body.js";
import { BreakerRegistry } from "../breaker-registry.js";
import type { UpstreamCall } from "../upstream-call.js";

/** One piece of a scripted body: bytes (or the end, or a cut) `afterMs` after the previous step. */
export type BodyStep = { afterMs?: number } & ({ text: string } | { bytes: Uint8Array } | { end: true } | { cut: true });

/** What one upstream call does. Delays run on the (fake) timers, so a test advances them. */
export type Script =
  | { connect: "refused" }
  /** The TCP connect never completes: undici gives up at the connect timeout. */
  | { connect: "hangs" }
  | {
      /** Before the status line and headers arrive; default 0. */
      headersAfterMs?: number;
      status?: number;
      headers?: Record<string, string>;
      /** Without an `end` or `cut` step the body stays open, sending nothing more. */
      body?: BodyStep[];
    };

/** A transport that plays scripts in order, one per call, as undici would: aborts reject or destroy the body with the signal's reason. */
export class ScriptedTransport implements Transport {
  readonly sent: HttpRequestSpec[] = [];
  /** Bodies destroyed by the engine (it stopped the upstream). */
  destroyed = 0;

  constructor(private readonly scripts: Script[]) {}

  send(spec: HttpRequestSpec, options: TransportOptions): Promise<UpstreamHttpResponse> {
    this.sent.push(spec);
    const script = this.scripts.shift();
    if (!script) return Promise.reject(new Error("the test scripted no more upstream calls"));
    return new Promise((resolve, reject) => {
      const { signal } = options;
      const timers = new Set<NodeJS.Timeout>();
      let stopped = false;
      // What is due at once runs without a timer, so the test needs to move no time for it.
      const later = (ms: number, run: () => void) => {
        if (ms <= 0) return void Promise.resolve().then(() => stopped || run());
        const t = setTimeout(() => {
          timers.delete(t);
          run();
        }, ms);
        timers.add(t);
      };
      const stop = () => {
        stopped = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
      };
      const onAbort = () => {
        stop();
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });

      if ("connect" in script) {
        if (script.connect === "refused") later(0, () => reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })));
        else later(options.connectTimeoutMs, () => reject(new undiciErrors.ConnectTimeoutError()));
        return;
      }
      later(script.headersAfterMs ?? 0, () => {
        signal.removeEventListener("abort", onAbort);
        const body = new ScriptedBody();
        const destroy = (reason: unknown) => {
          stop();
          body.fail(reason);
        };
        signal.addEventListener("abort", () => destroy(signal.reason), { once: true });
        let at = 0;
        for (const step of script.body ?? []) {
          at += step.afterMs ?? 0;
          later(at, () => {
            if ("text" in step) body.push(Buffer.from(step.text));
            else if ("bytes" in step) body.push(Buffer.isBuffer(step.bytes) ? step.bytes : Buffer.from(step.bytes.buffer, step.bytes.byteOffset, step.bytes.byteLength));
            else if ("end" in step) body.push("end");
            else destroy(new Error("other side closed"));
          });
        }
        resolve({
          status: script.status ?? 200,
          headers: script.headers ?? {},
          body,
          destroy: () => {
            this.destroyed++;
            destroy(new undiciErrors.RequestAbortedError());
          },
        });
      });
    });
  }
}

/**
 * A body the script pushes, one read per step, held while paused or before anyone listens (as a
 * socket holds it); a failure drops what is held and reaches the listener at once, as undici's does.
 */
class ScriptedBody implements UpstreamBody {
  private listener: BodyListener | undefined;
  private paused = false;
  private over = false;
  private readonly held: (Buffer | "end")[] = [];
  private failure: { err: unknown } | undefined;

  listen(listener: BodyListener): void {
    this.listener = listener;
    this.flush();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  push(read: Buffer | "end"): void {
    if (this.over) return;
    this.held.push(read);
    this.flush();
  }

  fail(err: unknown): void {
    if (this.over) return;
    this.over = true;
    this.held.length = 0;
    this.failure = { err };
    this.flush();
  }

  private flush(): void {
    const listener = this.listener;
    if (!listener) return;
    while (!this.paused && this.held.length > 0) {
      const read = this.held.shift()!;
      if (read === "end") {
        this.over = true;
        listener.end();
      } else listener.data(read);
    }
    const failure = this.failure;
    this.failure = undefined;
    if (failure) listener.error(failure.err);
  }
}

/** A Chat Completions provider (the real adapter) whose transport plays `scripts`. */
export function scriptedProvider(name: string, scripts: Script[]): Provider & { transport: ScriptedTransport } {
  return { name, type: "openai", adapter: createOpenAIChatAdapter({ baseURL: `http://${name}.test/v1`, headers: {}, streamUsageOption: true }), transport: new ScriptedTransport(scripts) };
}

/** Chat Completions SSE frames. */
export const sse = {
  role: 'data: {"id":"c1","model":"m","created":1,"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n',
  text: (text: string) => `data: ${JSON.stringify({ id: "c1", model: "m", created: 1, choices: [{ index: 0, delta: { content: text } }] })}\n\n`,
  finish: 'data: {"id":"c1","model":"m","created":1,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
  done: "data: [DONE]\n\n",
};

/** A whole streamed answer, its frames `gapMs` apart. */
export function streamed(text: string, gapMs = 0): Script {
  return { body: [{ text: sse.role }, { text: sse.text(text), afterMs: gapMs }, { text: sse.finish, afterMs: gapMs }, { text: sse.done }, { end: true }] };
}

/** A whole non-streamed answer. */
export function answered(text: string): Script {
  const body = { id: "c1", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }] };
  return { body: [{ text: JSON.stringify(body) }, { end: true }] };
}

/** An error answer. */
export function failed(status: number, headers: Record<string, string> = {}): Script {
  return { status, headers, body: [{ text: JSON.stringify({ error: { message: `status ${status}`, type: "x" } }) }, { end: true }] };
}

export const TIMEOUTS: Timeouts = { connectMs: 1_000, headersMs: 2_000, firstTokenMs: 3_000, idleMs: 4_000, totalMs: 60_000 };

export interface RouteLimits {
  timeouts?: Partial<Timeouts>;
  retry?: Partial<RetryPolicy>;
  breaker?: Partial<BreakerPolicy>;
}

/** A route over `providers`' targets ("<provider>/m"), with limits a test can override. */
export function routeOver(providers: readonly Provider[], overrides: RouteLimits = {}): ResolvedRoute {
  return {
    name: "r",
    unsupportedTools: "refuse",
    targets: providers.map((p) => ({ provider: p.name, model: "m" })),
    timeouts: { ...TIMEOUTS, ...overrides.timeouts },
    retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000, ...overrides.retry },
    breaker: { failureThreshold: 5, cooldownMs: 30_000, ...overrides.breaker },
    structuredOutput: { repairAttempts: 0 },
  };
}

/** An UpstreamCall built by hand: what the engine needs of a request, and nothing else. */
export function upstreamCall(providers: readonly Provider[], options: { signal?: AbortSignal; breakers?: BreakerRegistry } = {}): UpstreamCall {
  return {
    signal: options.signal ?? new AbortController().signal,
    attempts: [],
    step: 1,
    startedAt: Date.now(),
    services: { providers: new Map(providers.map((p) => [p.name, p])), breakers: options.breakers ?? new BreakerRegistry(), redactor: new Redactor(), prices: new PriceTable() },
    upstreamBegins: () => undefined,
  };
}

export function chatRequest(stream: boolean): CanonicalRequest {
  return { model: "r", messages: [{ role: "user", content: "hi" }], stream, includeUsage: false, inbound: { api: "openai-chat", body: {} } };
}

/**
 * Fake timers for setTimeout, intervals, Date and performance; setImmediate stays real so
 * `turns()` can let streams and promises run without time passing.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
}

/** Moves fake time on by `ms`, then lets what that set off run. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await turns();
}

/** Lets pending I/O callbacks, ticks and promises run; fake time does not move. */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
