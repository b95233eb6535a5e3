import { describe, expect, it } from "vitest";
import { Progress, type ProgressStream } from "./progress.js";

/** A stream that keeps what is written and resolves waiters once `n` writes came. */
function capture(isTTY = false) {
  const writes: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const stream: ProgressStream = {
    isTTY,
    write(text: string) {
      writes.push(text);
      for (const w of waiters.filter((w) => writes.length >= w.n)) w.resolve();
    },
  };
  const writesReach = (n: number) => new Promise<void>((resolve) => (writes.length >= n ? resolve() : waiters.push({ n, resolve })));
  return { stream, writes, writesReach };
}

describe("Progress", () => {
  it("plain style (forced): a line when shown, with percentage and note, and one when done", async () => {
    const { stream, writes } = capture();
    const task = new Progress({ stream, env: { TOLLGATE_PROGRESS: "plain" } }).start("Exporting", 4);
    expect(writes).toEqual(["Exporting 0% (0/4)...\n"]);
    task.update(1, "day 1");
    task.end(true);
    expect(writes[1]).toMatch(/^done: Exporting 25% \(1\/4\) day 1 in \d+\.\ds\n$/);
  });

  it("plain style repeats a running step's line every interval", async () => {
    const { stream, writes, writesReach } = capture();
    const task = new Progress({ stream, env: { TOLLGATE_PROGRESS: "plain" }, intervalMs: 5 }).start("Migrating", 10);
    task.update(5);
    await writesReach(2);
    task.end(false);
    expect(writes[1]).toMatch(/^Migrating 50% \(5\/10\)\.\.\. \d+\.\ds\n$/);
    expect(writes.at(-1)).toMatch(/^failed: Migrating 50%/);
  });

  it("a terminal gets one spinner line rewritten in place, then a check mark", async () => {
    const { stream, writes } = capture(true);
    await new Progress({ stream, env: {}, showAfterMs: 0 }).step("Opening the database", async () => "ok");
    expect(writes[0]).toMatch(/^\r\x1b\[2K⠋ Opening the database \d+\.\ds$/);
    expect(writes.at(-1)).toMatch(/^\r\x1b\[2K✓ done: Opening the database in \d+\.\ds\n$/);
    expect(writes.slice(0, -1).join("")).not.toContain("\n");
  });

  it("a quick step on an unforced stream prints nothing; off prints nothing at all", async () => {
    for (const env of [{}, { TOLLGATE_PROGRESS: "off" }]) {
      const { stream, writes } = capture(true);
      expect(await new Progress({ stream, env }).step("Quick", async () => 42)).toBe(42);
      expect(writes).toEqual([]);
    }
  });

  it("print clears a spinner line before writing other output", () => {
    const { stream, writes } = capture(true);
    const progress = new Progress({ stream, env: {}, showAfterMs: 0 });
    const task = progress.start("Benchmark", 2);
    progress.print("[bench 3s] == tollgate");
    task.end(true);
    expect(writes[1]).toBe("\r\x1b[2K[bench 3s] == tollgate\n");
    const plain = capture();
    new Progress({ stream: plain.stream, env: {} }).print("a line");
    expect(plain.writes).toEqual(["a line\n"]);
  });

  it("a failed step says so and rethrows", async () => {
    const { stream, writes } = capture();
    await expect(new Progress({ stream, env: { TOLLGATE_PROGRESS: "plain" } }).step("Connecting", () => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect(writes.at(-1)).toMatch(/^failed: Connecting in/);
  });
});
