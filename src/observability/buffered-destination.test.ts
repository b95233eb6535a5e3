import { afterEach, describe, expect, it, vi } from "vitest";
import { BufferedDestination, MAX_DELAY_MS } from "./buffered-destination.js";

/** A sink and a synchronous writer that record, in one list, what each was given and asked. */
function recording() {
  const events: string[] = [];
  const writes: string[] = [];
  const sink = {
    write: (text: string) => void writes.push(text),
    flush: (callback: (err?: Error) => void) => {
      events.push(`sink.flush after ${writes.length} write(s)`);
      callback();
    },
    flushSync: () => void events.push(`sink.flushSync after ${writes.length} write(s)`),
  };
  const now = { write: (text: string) => void events.push(`now.write ${text}`) };
  return { events, writes, sink, now };
}
const line = (i: number) => `{"level":30,"request_id":"req_${i}","msg":"request"}\n`;

afterEach(() => {
  vi.useRealTimers();
});

describe("BufferedDestination", () => {
  it("writes nothing while under the threshold, then every pending line in one write, in order and whole", () => {
    const { writes, sink, now } = recording();
    const destination = new BufferedDestination(sink, now, 10 * line(0).length);
    for (let i = 0; i < 9; i++) destination.write(line(i));
    expect(writes).toEqual([]);
    destination.write(line(9));
    expect(writes).toEqual([Array.from({ length: 10 }, (_, i) => line(i)).join("")]);
    destination.write(line(10));
    expect(writes).toHaveLength(1);
  });

  it("writes a pending line once the delay bound has passed, and not before", () => {
    vi.useFakeTimers();
    const { writes, sink, now } = recording();
    const destination = new BufferedDestination(sink, now, 4096);
    destination.write(line(1));
    vi.advanceTimersByTime(MAX_DELAY_MS / 2);
    destination.write(line(2));
    vi.advanceTimersByTime(MAX_DELAY_MS / 2 - 1);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([line(1) + line(2)]);
  });

  it("arms no timer while nothing is pending", () => {
    vi.useFakeTimers();
    const { writes, sink, now } = recording();
    const destination = new BufferedDestination(sink, now, 4096);
    expect(vi.getTimerCount()).toBe(0);
    destination.write(line(1));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(MAX_DELAY_MS);
    expect(writes).toEqual([line(1)]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("with a threshold of 0 hands each line over at once", () => {
    const { writes, sink, now } = recording();
    vi.useFakeTimers();
    const destination = new BufferedDestination(sink, now, 0);
    destination.write(line(1));
    destination.write(line(2));
    expect(writes).toEqual([line(1), line(2)]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("writes synchronously when the sink is closed", () => {
    const { events, now } = recording();
    const closed = {
      write: () => {
        throw new Error("SonicBoom destroyed");
      },
      flush: () => {},
      flushSync: () => {},
    };
    const destination = new BufferedDestination(closed, now, 0);
    destination.write(line(1));
    expect(events).toEqual([`now.write ${line(1)}`]);
  });

  it("flush hands the pending text over, then calls back when the sink has written it", () => {
    const { events, writes, sink, now } = recording();
    const destination = new BufferedDestination(sink, now, 4096);
    destination.write(line(1));
    const flushed = vi.fn();
    destination.flush(flushed);
    expect(writes).toEqual([line(1)]);
    expect(events).toEqual(["sink.flush after 1 write(s)"]);
    expect(flushed).toHaveBeenCalledOnce();
  });

  it("flushSync writes what the sink holds, then the pending text, synchronously", () => {
    const { events, writes, sink, now } = recording();
    const destination = new BufferedDestination(sink, now, 4096);
    destination.write(line(1));
    destination.write(line(2));
    destination.flushSync();
    expect(writes).toEqual([]);
    expect(events).toEqual(["sink.flushSync after 0 write(s)", `now.write ${line(1)}${line(2)}`]);
    destination.flushSync();
    expect(events).toHaveLength(3);
  });

  it("flushSync writes the pending text even when the sink can no longer flush", () => {
    const { events, sink, now } = recording();
    const closed = {
      ...sink,
      flushSync: () => {
        throw new Error("SonicBoom destroyed");
      },
    };
    const destination = new BufferedDestination(closed, now, 4096);
    destination.write(line(1));
    expect(() => destination.flushSync()).toThrow("SonicBoom destroyed");
    expect(events).toEqual([`now.write ${line(1)}`]);
  });
});
