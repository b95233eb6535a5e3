import { describe, expect, it } from "vitest";
import { resolveConfig } from "../config/resolve.js";
import { BreakerRegistry } from "../engine/breaker-registry.js";
import { Redactor } from "../errors/redact.js";
import type { RequestRecord } from "../spec/request-record.js";
import { createLogger } from "./logger.js";
import { Observability } from "./observability.js";

const config = resolveConfig({ providers: { sim: { type: "simulator" } }, routes: { fast: { targets: [{ provider: "sim", model: "sim" }] } } }, {});
const answered = (id: string, status: number): RequestRecord => ({
  id,
  api: "openai-chat",
  startedAt: 0,
  route: "fast",
  stream: false,
  status,
  outcome: status < 400 ? "complete" : "failed",
  attempts: [],
  latencyMs: 1,
});
const noContext = { header: () => undefined };

/** The request lines a gateway logging at `level` writes for a 200, a 429 and a 502. */
function requestLines(level: "info" | "warn" | "error"): Record<string, unknown>[] {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  const observability = new Observability(config, new BreakerRegistry(), new Redactor(), { logger });
  for (const [id, status] of [
    ["req_ok", 200],
    ["req_limited", 429],
    ["req_upstream", 502],
  ] as const)
    observability.record(answered(id, status), noContext);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("Observability request lines", () => {
  it("logs every request at info, a 5xx as a warning", () => {
    expect(requestLines("info").map((l) => [l.request_id, l.level])).toEqual([
      ["req_ok", 30],
      ["req_limited", 30],
      ["req_upstream", 40],
    ]);
  });

  it("keeps the 5xx lines at level warn, and none at error", () => {
    expect(requestLines("warn").map((l) => [l.request_id, l.level])).toEqual([["req_upstream", 40]]);
    expect(requestLines("error")).toEqual([]);
  });
});
