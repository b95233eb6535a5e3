import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AllTargetsFailedError } from "../errors/upstream-errors.js";
import { BreakerRegistry } from "./breaker-registry.js";
import { closeAnswer, openAnswer } from "./open-answer.js";
import {
  advance,
  answered,
  chatRequest,
  failed,
  type RouteLimits,
  routeOver,
  type Script,
  scriptedProvider,
  sse,
  streamed,
  turns,
  upstreamCall,
  useFakeClock,
} from "./test-support/scripted-upstream.js";

// vitest's fake timers drive the global setTimeout but not node:timers/promises, which the
// wait between retries uses: this one runs on the global timers, with the same abort contract.
vi.mock("node:timers/promises", async (importOriginal) => ({
  ...(await importOriginal<typeof import("node:timers/promises")>()),
  setTimeout: <T>(ms: number, value?: T, options: { signal?: AbortSignal } = {}) =>
    new Promise<T | undefined>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
}));

beforeEach(() => {
  useFakeClock();
  // Backoff with full jitter: half of the ceiling.
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Starts openAnswer over providers scripted by name, and keeps its outcome for later. */
function start(scripts: Record<string, Script[]>, options: { stream?: boolean; route?: RouteLimits; breakers?: BreakerRegistry; signal?: AbortSignal } = {}) {
  const providers = Object.entries(scripts).map(([name, s]) => scriptedProvider(name, s));
  const call = upstreamCall(providers, options);
  const route = routeOver(providers, options.route);
  const outcome = openAnswer(call, chatRequest(options.stream ?? false), route);
  // Settled either way, so a rejection is observed whenever the test looks.
  const settled = outcome.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const sent = (name: string) => providers.find((p) => p.name === name)!.transport.sent.length;
  return { call, outcome, settled, sent, providers };
}

describe("retries", () => {
  it("retries a retryable failure after the backoff, not before", async () => {
    const run = start({ a: [failed(503), answered("hi")] });
    await turns();
    expect(run.sent("a")).toBe(1);
    // Retry 0: full jitter over baseDelayMs (100) at random 0.5.
    await advance(49);
    expect(run.sent("a")).toBe(1);
    await advance(1);
    expect(run.sent("a")).toBe(2);
    const answer = await run.outcome;
    expect(answer.label).toBe("a/m");
    expect(run.call.attempts.map((a) => [a.status, a.errorCode, a.upstreamStatus])).toEqual([
      ["error", "upstream_error", 503],
      ["ok", undefined, undefined],
    ]);
  });

  it("doubles the backoff ceiling per retry", async () => {
    const run = start({ a: [failed(503), failed(503), answered("hi")] });
    await turns();
    await advance(50);
    expect(run.sent("a")).toBe(2);
    // Retry 1: ceiling 200, at random 0.5 a wait of 100.
    await advance(99);
    expect(run.sent("a")).toBe(2);
    await advance(1);
    expect(run.sent("a")).toBe(3);
    expect((await run.outcome).record.attempt).toBe(3);
  });

  it("waits as long as Retry-After says, instead of the backoff", async () => {
    const run = start({ a: [failed(429, { "retry-after": "2" }), answered("hi")] });
    await turns();
    await advance(1_999);
    expect(run.sent("a")).toBe(1);
    await advance(1);
    expect(run.sent("a")).toBe(2);
    expect((await run.outcome).label).toBe("a/m");
  });

  it("a Retry-After beyond the cap is not waited for: the next target answers at once", async () => {
    const run = start({ a: [failed(429, { "retry-after": "10" })], b: [answered("hi")] }, { route: { retry: { maxRetryAfterMs: 5_000 } } });
    await turns();
    expect(run.sent("b")).toBe(1);
    const answer = await run.outcome;
    expect(answer.label).toBe("b/m");
    expect(run.sent("a")).toBe(1);
    expect(run.call.attempts.map((a) => [a.provider, a.status, a.errorCode])).toEqual([
      ["a", "error", "upstream_rate_limited"],
      ["b", "ok", undefined],
    ]);
  });

  it("falls back to the next target once a target's retries are spent", async () => {
    const run = start({ a: [failed(503), failed(502), failed(500)], b: [answered("hi")] });
    await advance(1_000);
    const answer = await run.outcome;
    expect(answer.label).toBe("b/m");
    expect(run.sent("a")).toBe(3);
    expect(run.call.attempts.map((a) => `${a.provider}#${a.attempt}:${a.status}`)).toEqual(["a#1:error", "a#2:error", "a#3:error", "b#4:ok"]);
  });

  it("a connection refused is retried like a 5xx", async () => {
    const run = start({ a: [{ connect: "refused" }, answered("hi")] });
    await advance(100);
    expect((await run.outcome).label).toBe("a/m");
    expect(run.call.attempts[0]).toMatchObject({ status: "error", errorCode: "upstream_connection_error" });
  });

  it("a 4xx that is the request's own fault is neither retried nor sent to another target", async () => {
    const run = start({ a: [failed(400), answered("hi")], b: [answered("hi")] });
    await advance(1_000);
    const { error } = (await run.settled) as { error: unknown };
    expect(error).not.toBeInstanceOf(AllTargetsFailedError);
    expect(error).toMatchObject({ status: 400 });
    expect(run.sent("a")).toBe(1);
    expect(run.sent("b")).toBe(0);
  });

  it("when every target failed: all_targets_failed naming each attempt", async () => {
    const run = start({ a: [failed(503)], b: [failed(503)] }, { route: { retry: { maxRetries: 0 } } });
    await turns();
    const { error } = (await run.settled) as { error: AllTargetsFailedError };
    expect(error).toBeInstanceOf(AllTargetsFailedError);
    expect(error.attempts.map((a) => [a.target, a.code])).toEqual([
      ["a/m", "upstream_error"],
      ["b/m", "upstream_error"],
    ]);
  });
});

describe("the client leaving", () => {
  it("ends the wait between retries at once, without another attempt", async () => {
    const client = new AbortController();
    const run = start({ a: [failed(503), answered("hi")] }, { signal: client.signal });
    await turns();
    expect(run.sent("a")).toBe(1);
    const left = new Error("the client closed the connection");
    client.abort(left);
    await turns();
    expect(await run.settled).toEqual({ error: left });
    await advance(10_000);
    expect(run.sent("a")).toBe(1);
  });

  it("during an attempt: the attempt is cancelled and its breaker slot released", async () => {
    const client = new AbortController();
    const breakers = new BreakerRegistry();
    const run = start({ a: [{ headersAfterMs: 5_000, ...answered("hi") }] }, { signal: client.signal, breakers });
    await advance(1_000);
    client.abort(new Error("gone"));
    await turns();
    expect(await run.settled).toEqual({ error: new Error("gone") });
    expect(run.call.attempts[0]!.status).toBe("cancelled");
    expect(breakers.peek("a", "m")!.state).toBe("closed");
  });
});

describe("the circuit breaker", () => {
  const route = { retry: { maxRetries: 0 }, breaker: { failureThreshold: 2, cooldownMs: 30_000 } };

  it("opens after N failures and the target is skipped; after the cooldown one probe goes through, and its success closes it", async () => {
    const breakers = new BreakerRegistry();
    const a = scriptedProvider("a", [failed(503), failed(503), { headersAfterMs: 100, ...answered("probe") }]);
    const b = scriptedProvider("b", [answered("1"), answered("2"), answered("3"), answered("4")]);
    const open = async () => {
      const call = upstreamCall([a, b], { breakers });
      const answer = openAnswer(call, chatRequest(false), routeOver([a, b], route));
      await advance(0);
      return { call, answer: await answer };
    };

    for (let i = 0; i < 2; i++) expect((await open()).answer.label).toBe("b/m");
    expect(breakers.peek("a", "m")!.state).toBe("open");

    const skipped = await open();
    expect(skipped.answer.label).toBe("b/m");
    expect(a.transport.sent).toHaveLength(2);
    expect(skipped.call.attempts.map((x) => x.provider)).toEqual(["b"]);

    await advance(30_000);
    expect(breakers.peek("a", "m")!.state).toBe("half-open");
    // The probe is under way (its headers take 100 ms): a request meanwhile skips the target.
    const probeCall = upstreamCall([a, b], { breakers });
    const probe = openAnswer(probeCall, chatRequest(false), routeOver([a, b], route));
    await turns();
    expect(a.transport.sent).toHaveLength(3);
    expect((await open()).answer.label).toBe("b/m");
    expect(a.transport.sent).toHaveLength(3);

    await advance(100);
    expect((await probe).label).toBe("a/m");
    expect(breakers.peek("a", "m")!.state).toBe("closed");
  });

  it("a failed probe opens it again for another cooldown", async () => {
    const breakers = new BreakerRegistry();
    const a = scriptedProvider("a", [failed(503), failed(503), failed(503)]);
    const b = scriptedProvider("b", [answered("1"), answered("2"), answered("3"), answered("4")]);
    const open = async () => {
      const answer = openAnswer(upstreamCall([a, b], { breakers }), chatRequest(false), routeOver([a, b], route));
      await turns();
      return answer;
    };
    await open();
    await open();
    await advance(30_000);
    await open();
    expect(a.transport.sent).toHaveLength(3);
    expect(breakers.peek("a", "m")!.state).toBe("open");
    expect(breakers.peek("a", "m")!.retryInMs).toBe(30_000);
  });
});

describe("the commit point: never retry once a byte went downstream", () => {
  it("a stream that fails before any content is retried", async () => {
    const run = start({ a: [{ body: [{ text: sse.role }, { cut: true, afterMs: 10 }] }, streamed("ok")] }, { stream: true });
    await advance(1_000);
    const answer = await run.outcome;
    expect(run.sent("a")).toBe(2);
    expect(run.call.attempts.map((a) => [a.status, a.errorCode])).toEqual([
      ["error", "upstream_connection_error"],
      ["ok", undefined],
    ]);
    expect(answer.opened.kind).toBe("stream");
  });

  it("a stream that fails after its first content surfaces as the stream's error, with no retry and no fallback", async () => {
    const run = start({ a: [{ body: [{ text: sse.role }, { text: sse.text("Hel") }, { cut: true, afterMs: 10 }] }, streamed("again")], b: [streamed("other")] }, { stream: true });
    await turns();
    const answer = await run.outcome;
    if (answer.opened.kind !== "stream") throw new Error("expected a stream");
    const relayed: string[] = [];
    const piped = answer.opened.stream
      .pipe({ chunks: (chunks) => void relayed.push(...chunks.flatMap((c) => c.events.flatMap((e) => (e.type === "text-delta" ? [e.text] : [])))) })
      .catch((e: unknown) => e);
    await advance(10);
    expect(await piped).toMatchObject({ code: "upstream_connection_error" });
    expect(relayed).toEqual(["Hel"]);
    closeAnswer(run.call, answer);
    await advance(10_000);
    expect(run.sent("a")).toBe(1);
    expect(run.sent("b")).toBe(0);
    expect(run.call.attempts).toHaveLength(1);
    expect(run.call.attempts[0]).toMatchObject({ status: "error", errorCode: "upstream_connection_error" });
  });
});
