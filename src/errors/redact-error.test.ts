import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "./gateway-error.js";
import { Redactor } from "./redact.js";
import { redactError } from "./redact-error.js";
import { UpstreamHttpError } from "./upstream-errors.js";

describe("redactError", () => {
  const redactor = new Redactor();
  redactor.add("upstream-key-123456");

  it("redacts message, relayed code, param and nested details, keeping the class and its flags", () => {
    const err = new UpstreamHttpError(400, "bad upstream-key-123456", undefined, { code: "upstream-key-123456", param: "x upstream-key-123456" });
    const clean = redactError(err, redactor);
    expect(clean).toBeInstanceOf(UpstreamHttpError);
    expect(clean).toMatchObject({ message: "bad [REDACTED]", code: "upstream_rejected_request", relayedCode: "[REDACTED]", param: "x [REDACTED]", retryable: false, fallbackable: false, status: 400 });
    expect(clean.stack).not.toContain("upstream-key-123456");
    const nested = redactError(new InvalidRequestError("invalid_request", "m", { details: { list: [{ hint: "upstream-key-123456" }] }, exposed: { e: "upstream-key-123456" } }), redactor);
    expect(JSON.stringify([nested.details, nested.exposed])).not.toContain("upstream-key-123456");
  });

  it("leaves errors that are not the gateway's as they are", () => {
    const plain = new Error("x");
    expect(redactError(plain, redactor)).toBe(plain);
  });
});
