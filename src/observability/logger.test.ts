import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, lineWriterOf } from "./logger.js";

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
