import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UpstreamTimeoutError } from "../errors/upstream-errors.js";
import { AttemptTimer } from "./attempt-timer.js";
import { advance, chatRequest, failed, type Script, scriptedProvider, TIMEOUTS, useFakeClock } from "./test-support/scripted-upstream.js";
import { openUpstream } from "./upstream-attempt.js";

beforeEach(useFakeClock);
afterEach(() => vi.useRealTimers());

const reasonOf = (timer: AttemptTimer) => (timer.signal.aborted ? (timer.signal.reason as UpstreamTimeoutError) : undefined);

describe("AttemptTimer", () => {
  it("aborts with the phase that ran out, measured from when the phase began minus what already passed", async () => {
    const timer = new AttemptTimer(TIMEOUTS, new AbortController().signal);
    await advance(500);
    timer.phase("first_token", 3_000, 500);
    await advance(2_499);
    expect(timer.signal.aborted).toBe(false);
    await advance(1);
    expect(reasonOf(timer)).toBeInstanceOf(UpstreamTimeoutError);
    expect(reasonOf(timer)).toMatchObject({ phase: "first_token", code: "upstream_timeout", details: { phase: "first_token", limitMs: 3_000 } });
    timer.dispose();
  });

  it("a new phase replaces the last; touch restarts it; a limit of 0 is none", async () => {
    const timer = new AttemptTimer({ ...TIMEOUTS, totalMs: 0 }, new AbortController().signal);
    timer.phase("headers", 1_000);
    await advance(900);
    timer.phase("idle", 1_000);
    await advance(900);
    timer.touch();
    await advance(900);
    expect(timer.signal.aborted).toBe(false);
    await advance(100);
    expect(reasonOf(timer)).toMatchObject({ phase: "idle" });

    const unlimited = new AttemptTimer({ ...TIMEOUTS, totalMs: 0 }, new AbortController().signal);
    unlimited.phase("idle", 0);
    await advance(24 * 3_600_000);
    expect(unlimited.signal.aborted).toBe(false);
    unlimited.dispose();
  });

  it("a phase given at the start is armed with the total on one timer, in whole milliseconds", async () => {
    vi.advanceTimersByTime(0.25);
    const before = vi.getTimerCount();
    const set = vi.spyOn(globalThis, "setTimeout");
    const timer = new AttemptTimer(TIMEOUTS, new AbortController().signal, { phase: "headers", limitMs: 1_000 });
    expect(vi.getTimerCount() - before).toBe(1);
    expect(set.mock.calls.map(([, ms]) => Number.isInteger(ms))).toEqual([true]);
    set.mockRestore();
    await advance(999);
    expect(timer.signal.aborted).toBe(false);
    await advance(1);
    expect(reasonOf(timer)).toMatchObject({ phase: "headers", details: { limitMs: 1_000 } });
    timer.dispose();
  });

  it("the total limit runs whatever the phase", async () => {
    const timer = new AttemptTimer({ ...TIMEOUTS, totalMs: 10_000 }, new AbortController().signal);
    for (let i = 0; i < 4; i++) {
      timer.phase("idle", 4_000);
      await advance(3_000);
    }
    expect(reasonOf(timer)).toMatchObject({ phase: "total", details: { limitMs: 10_000 } });
  });

  it("the caller's abort passes its own reason; dispose stops every limit and stops listening", async () => {
    const caller = new AbortController();
    const timer = new AttemptTimer(TIMEOUTS, caller.signal);
    const left = new Error("client left");
    caller.abort(left);
    expect(timer.signal.reason).toBe(left);

    const parent = new AbortController();
    const disposed = new AttemptTimer(TIMEOUTS, parent.signal);
    disposed.phase("headers", 1_000);
    disposed.dispose();
    await advance(TIMEOUTS.totalMs);
    parent.abort(new Error("later"));
    expect(disposed.signal.aborted).toBe(false);
  });

  it("one timer whatever the phases and reads; each limit still runs out exactly when it should", async () => {
    const timer = new AttemptTimer({ ...TIMEOUTS, totalMs: 100_000 }, new AbortController().signal);
    expect(vi.getTimerCount()).toBe(1);
    timer.phase("headers", 1_000);
    await advance(900);
    // A later deadline than the armed one moves nothing: the timer wakes at 1,000 and sleeps on.
    timer.phase("first_token", 5_000, 900);
    expect(vi.getTimerCount()).toBe(1);
    await advance(100);
    expect(timer.signal.aborted).toBe(false);
    timer.phase("idle", 2_000);
    for (let i = 0; i < 5; i++) {
      await advance(1_500);
      timer.touch();
      expect(vi.getTimerCount()).toBe(1);
    }
    expect(timer.signal.aborted).toBe(false);
    await advance(1_999);
    expect(timer.signal.aborted).toBe(false);
    await advance(1);
    expect(reasonOf(timer)).toMatchObject({ phase: "idle", details: { limitMs: 2_000 } });
  });

  it("a phase that ends before the armed deadline brings the timer forward", async () => {
    const timer = new AttemptTimer({ ...TIMEOUTS, totalMs: 100_000 }, new AbortController().signal);
    timer.phase("idle", 0);
    await advance(50_000);
    timer.phase("idle", 1_000);
    await advance(999);
    expect(timer.signal.aborted).toBe(false);
    await advance(1);
    expect(reasonOf(timer)).toMatchObject({ phase: "idle" });
  });

  it("reads that keep the idle limit away do not hold off the total", async () => {
    const timer = new AttemptTimer({ ...TIMEOUTS, totalMs: 10_000 }, new AbortController().signal);
    timer.phase("idle", 4_000);
    for (let i = 0; i < 9; i++) {
      await advance(1_000);
      timer.touch();
    }
    await advance(999);
    expect(timer.signal.aborted).toBe(false);
    await advance(1);
    expect(reasonOf(timer)).toMatchObject({ phase: "total", details: { limitMs: 10_000 } });
  });

  it("disposed, it leaves no timer and a later phase arms none", async () => {
    const timer = new AttemptTimer(TIMEOUTS, new AbortController().signal);
    timer.phase("headers", 1_000);
    timer.dispose();
    expect(vi.getTimerCount()).toBe(0);
    timer.phase("idle", 1_000);
    expect(vi.getTimerCount()).toBe(0);
    await advance(TIMEOUTS.totalMs);
    expect(timer.signal.aborted).toBe(false);
  });
});

describe("an attempt's timeouts, each as its own error", () => {
  async function attempt(script: Script, stream: boolean, timeouts = TIMEOUTS) {
    const provider = scriptedProvider("a", [script]);
    const outcome = openUpstream(provider, chatRequest(stream), "m", timeouts, new AbortController().signal).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    return { provider, outcome };
  }

  it("connect: the TCP connect does not complete", async () => {
    const { outcome } = await attempt({ connect: "hangs" }, true);
    await advance(TIMEOUTS.connectMs);
    expect(await outcome).toMatchObject({ error: { code: "upstream_timeout", phase: "connect", status: 504 } });
  });

  it("headers: a streamed request's headers do not come", async () => {
    const { provider, outcome } = await attempt({ headersAfterMs: 60_000 }, true);
    await advance(TIMEOUTS.headersMs - 1);
    expect(provider.transport.sent).toHaveLength(1);
    await advance(1);
    expect(await outcome).toMatchObject({ error: { code: "upstream_timeout", phase: "headers" } });
  });

  it("a non-streamed request waits for its whole body: only the total limit applies", async () => {
    const { outcome } = await attempt({ headersAfterMs: 50_000, ...failed(503) }, false, { ...TIMEOUTS, totalMs: 40_000 });
    await advance(39_999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await advance(0);
    expect(settled).toBe(false);
    await advance(1);
    expect(await outcome).toMatchObject({ error: { phase: "total" } });
  });

  it("an error body that stalls after the headers came ends at the idle limit, as a stalled stream does", async () => {
    const { outcome } = await attempt({ status: 503, body: [{ text: '{"error":' }] }, true);
    let settled = false;
    void outcome.then(() => (settled = true));
    await advance(TIMEOUTS.idleMs - 1);
    expect(settled).toBe(false);
    await advance(1);
    expect(await outcome).toMatchObject({ error: { code: "upstream_timeout", phase: "idle" } });
  });
});
