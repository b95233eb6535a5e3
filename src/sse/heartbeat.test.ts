import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { Heartbeat } from "./heartbeat.js";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
});
afterEach(() => vi.useRealTimers());

it("beats after each full period of silence, counted from the last write or beat", () => {
  const beats: number[] = [];
  const heartbeat = new Heartbeat(1_000, () => beats.push(performance.now()));
  const start = performance.now();
  vi.advanceTimersByTime(999);
  expect(beats).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(beats).toEqual([start + 1_000]);
  // Writes keep it quiet, however many.
  for (let i = 0; i < 10; i++) {
    vi.advanceTimersByTime(600);
    heartbeat.wrote();
  }
  expect(beats).toHaveLength(1);
  const lastWrite = performance.now();
  vi.advanceTimersByTime(999);
  expect(beats).toHaveLength(1);
  vi.advanceTimersByTime(1);
  vi.advanceTimersByTime(1_000);
  expect(beats).toEqual([start + 1_000, lastWrite + 1_000, lastWrite + 2_000]);
  expect(vi.getTimerCount()).toBe(1);
  heartbeat.stop();
  expect(vi.getTimerCount()).toBe(0);
});

it("stopped by its own beat (the stream ended in that write), it stays stopped", () => {
  let beats = 0;
  const heartbeat: Heartbeat = new Heartbeat(1_000, () => {
    beats++;
    heartbeat.stop();
  });
  vi.advanceTimersByTime(5_000);
  expect(beats).toBe(1);
  expect(vi.getTimerCount()).toBe(0);
});
