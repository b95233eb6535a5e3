import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { BufferedDestination } from "./buffered-destination.js";
import { createLogger, flushLogger, lineWriterOf, logDestination } from "./logger.js";

const fields = { request_id: "req_1", tags: { env: "prod" }, status: 503, cost_usd: 0.0001824, fallback: false };
const withoutTime = (line: string) => line.replace(/"time":"[^"]*"/, "");

describe("createLogger", () => {
  it("writes a prepared line exactly as pino writes the same fields", () => {
    const lines: string[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    logger.warn(fields, "request");
    lineWriterOf(logger)!("warn", JSON.stringify(fields).slice(1, -1), "request");
    expect(lines).toHaveLength(2);
    expect(withoutTime(lines[1]!)).toBe(withoutTime(lines[0]!));
    const { time } = JSON.parse(lines[1]!) as { time: string };
    expect(new Date(time).toISOString()).toBe(time);
  });

  it("leaves other loggers, and destinations that want each line's metadata, to pino's own calls", () => {
    expect(lineWriterOf(pino({}, { write() {} }))).toBeUndefined();
    expect(lineWriterOf(createLogger("info", pino.multistream([{ stream: { write() {} } }])))).toBeUndefined();
  });
});

describe("createLogger on a buffered destination", () => {
  it("writes a fatal line at once, after the lines pending before it", () => {
    const written: string[] = [];
    const sink = { write: (text: string) => void written.push(text), flush: (callback: () => void) => callback(), flushSync() {} };
    const logger = createLogger("info", new BufferedDestination(sink, { write: (text: string) => void written.push(text) }, 4096));
    logger.info({ n: 1 }, "first");
    lineWriterOf(logger)!("warn", '"n":2', "request");
    expect(written).toEqual([]);
    logger.fatal({ n: 3 }, "last words");
    expect(written).toHaveLength(1);
    expect(
      written[0]!
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { n: number }).n),
    ).toEqual([1, 2, 3]);
  });
});

describe("logDestination", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tollgate-log-destination-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logTo = (name: string, bufferBytes: number) => {
    const file = path.join(dir, name);
    const fd = openSync(file, "w");
    return { logger: createLogger("info", logDestination(bufferBytes, fd)), read: () => readFileSync(file, "utf8"), close: () => closeSync(fd) };
  };
  const ids = (text: string) =>
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { request_id: string }).request_id);

  it("with bufferBytes 0 has written every line once flushed", async () => {
    const { logger, read, close } = logTo("unbuffered.log", 0);
    lineWriterOf(logger)!("info", '"request_id":"req_1"', "request");
    lineWriterOf(logger)!("info", '"request_id":"req_2"', "request");
    await flushLogger(logger);
    expect(ids(read())).toEqual(["req_1", "req_2"]);
    close();
  });

  it("buffered, writes nothing until flushed, then every line in order", async () => {
    const { logger, read, close } = logTo("buffered.log", 4096);
    for (let i = 0; i < 3; i++) lineWriterOf(logger)!("info", `"request_id":"req_${i}"`, "request");
    await new Promise((resolve) => setImmediate(resolve));
    expect(read()).toBe("");
    await flushLogger(logger);
    expect(ids(read())).toEqual(["req_0", "req_1", "req_2"]);
    close();
  });
});
