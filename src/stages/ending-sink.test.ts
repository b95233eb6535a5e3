import { describe, expect, it } from "vitest";
import type { ResponseSink } from "../spec/response-sink.js";
import { EndingSink } from "./ending-sink.js";

/** A sink that logs what reaches it, in order. */
function loggingSink(log: string[]): ResponseSink {
  return {
    headersSent: false,
    send: (status) => void log.push(`send ${status}`),
    openStream: () => void log.push("open"),
    write: (frame) => void log.push(`write ${frame}`),
    end: (last) => void log.push(`end ${last ?? ""}`),
  };
}

describe("EndingSink", () => {
  it("calls onEnd once, before a complete answer is handed on", () => {
    const log: string[] = [];
    const sink = new EndingSink(loggingSink(log), () => log.push("journal"));
    sink.send(200, {}, "{}");
    sink.send(200, {}, "{}");
    expect(log).toEqual(["journal", "send 200", "send 200"]);
  });

  it("calls onEnd before a stream's last frame, not before its other frames", () => {
    const log: string[] = [];
    const sink = new EndingSink(loggingSink(log), () => log.push("journal"));
    sink.openStream({});
    sink.write("a");
    sink.end("z");
    expect(log).toEqual(["open", "write a", "journal", "end z"]);
  });
});
