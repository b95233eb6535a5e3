import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS, type ErrorCode, isErrorCode } from "./codes.js";
import { GatewayError, InvalidRequestError } from "./gateway-error.js";
import { renderError } from "./render.js";
import { AllTargetsFailedError, UpstreamHttpError } from "./upstream-errors.js";

const HEADER = "| code | status | type | meaning |";

interface DocRow {
  code: string;
  status: number;
  type: string;
  meaning: string;
}

/** The rows of docs/api.md's error-code table (the one under "## Errors" with HEADER). */
function documentedCodes(): DocRow[] {
  const lines = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8").split("\n");
  const start = lines.indexOf(HEADER);
  expect(start, `docs/api.md has no table headed "${HEADER}"`).toBeGreaterThan(-1);
  const rows: DocRow[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const [code = "", status = "", type = "", meaning = ""] = line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim());
    rows.push({ code: code.replace(/`/g, ""), status: Number(status), type: type.replace(/`/g, ""), meaning });
  }
  return rows;
}

describe("the error registry", () => {
  it("docs/api.md's table lists exactly the registry's codes, each once, with the same status and type", () => {
    const rows = documentedCodes();
    const documented = rows.map((r) => r.code);
    const registered = Object.keys(ERRORS);
    expect.soft({ missing: registered.filter((c) => !documented.includes(c)), extra: documented.filter((c) => !registered.includes(c)) }).toEqual({ missing: [], extra: [] });
    expect.soft(documented.filter((c, i) => documented.indexOf(c) !== i)).toEqual([]);
    const mismatched = rows
      .filter((r) => isErrorCode(r.code) && (ERRORS[r.code].status !== r.status || ERRORS[r.code].type !== r.type))
      .map((r) => `${r.code}: docs ${r.status} ${r.type}, registry ${isErrorCode(r.code) ? `${ERRORS[r.code].status} ${ERRORS[r.code].type}` : ""}`);
    expect.soft(mismatched).toEqual([]);
    expect(rows.filter((r) => r.meaning === "").map((r) => r.code)).toEqual([]);
  });

  it("gives an error its status and type from its code", () => {
    const err = new GatewayError("idempotency_key_reused", "m");
    expect([err.status, err.type]).toEqual([422, "invalid_request_error"]);
    expect(renderError(new InvalidRequestError("invalid_tags", "bad tag", { param: "x-tollgate-tags" }))).toEqual({
      status: 400,
      headers: {},
      body: { error: { message: "bad tag", type: "invalid_request_error", code: "invalid_tags", param: "x-tollgate-tags" } },
    });
  });

  it("relays an upstream's rejection with its own status and code; the registry's code is what the gateway records", () => {
    const err = new UpstreamHttpError(422, "Unsupported value", undefined, { code: "unsupported_value", param: "temperature" });
    expect(err.code).toBe("upstream_rejected_request");
    expect(renderError(err).status).toBe(422);
    expect(renderError(err).body.error).toEqual({ message: "Unsupported value", type: "invalid_request_error", code: "unsupported_value", param: "temperature" });
    expect(renderError(new UpstreamHttpError(400, "No code", undefined)).body.error.code).toBe("upstream_rejected_request");
  });

  it("all_targets_failed takes the status of the kind of failure every target met", () => {
    const attempts = (code: ErrorCode) => [{ target: "a", attempt: 1, code, message: "m" }];
    const throttled = new AllTargetsFailedError("r", attempts("upstream_rate_limited"), undefined);
    expect([throttled.status, throttled.type]).toEqual([429, "rate_limit_error"]);
    expect(new AllTargetsFailedError("r", attempts("upstream_timeout"), undefined).status).toBe(504);
    expect(new AllTargetsFailedError("r", attempts("upstream_error"), undefined)).toMatchObject({ status: 502, type: "upstream_error" });
  });
});
