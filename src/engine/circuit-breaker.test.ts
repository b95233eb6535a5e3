import { expect, test } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.js";

function breaker() {
  let now = 0;
  const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000 }, () => now);
  return { b, advance: (ms: number) => (now += ms) };
}

test("opens after N consecutive failures and skips the target", () => {
  const { b } = breaker();
  for (let i = 0; i < 2; i++) {
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
  }
  expect(b.state).toBe("closed");
  b.tryAcquire();
  b.onFailure();
  expect(b.state).toBe("open");
  expect(b.tryAcquire()).toBe(false);
  expect(b.retryInMs).toBe(1_000);
});

test("a success resets the count", () => {
  const { b } = breaker();
  b.onFailure();
  b.onFailure();
  b.onSuccess();
  b.onFailure();
  b.onFailure();
  expect(b.state).toBe("closed");
});

test("half-open lets exactly one probe through; its success closes, its failure reopens", () => {
  const { b, advance } = breaker();
  for (let i = 0; i < 3; i++) b.onFailure();
  advance(1_000);
  expect(b.state).toBe("half-open");
  expect(b.tryAcquire()).toBe(true);
  expect(b.tryAcquire()).toBe(false);
  b.onFailure();
  expect(b.state).toBe("open");
  advance(1_000);
  expect(b.tryAcquire()).toBe(true);
  b.onSuccess();
  expect(b.state).toBe("closed");
  expect(b.tryAcquire()).toBe(true);
});

test("a released probe (client left) frees the half-open slot without judging the target", () => {
  const { b, advance } = breaker();
  for (let i = 0; i < 3; i++) b.onFailure();
  advance(1_000);
  expect(b.tryAcquire()).toBe(true);
  b.release();
  expect(b.state).toBe("half-open");
  expect(b.tryAcquire()).toBe(true);
});
