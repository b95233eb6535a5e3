import { describe, expect, it } from "vitest";
import type { GatewayError } from "../errors/gateway-error.js";
import { canonicalJson, MAX_KEY_LENGTH, parseIdempotencyKey, requestFingerprint, scopedKey, scopeOf } from "./idempotency-key.js";

function rejection(header: string | string[]): GatewayError {
  try {
    parseIdempotencyKey(header);
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error(`"${String(header)}" was accepted`);
}

describe("parseIdempotencyKey", () => {
  it("reads the IETF draft's sf-string and the bare value clients send", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(parseIdempotencyKey(' "a \\"quoted\\" \\\\ key" ')).toBe('a "quoted" \\ key');
    expect(parseIdempotencyKey("stainless-node-retry-1f2e")).toBe("stainless-node-retry-1f2e");
    expect(parseIdempotencyKey("x".repeat(MAX_KEY_LENGTH))).toHaveLength(MAX_KEY_LENGTH);
  });

  it.each([
    ["", "empty"],
    ['""', "empty"],
    ["x".repeat(MAX_KEY_LENGTH + 1), "at most 255"],
    ["clé", "printable ASCII"],
    ["tab\there", "printable ASCII"],
    ['"open', "no closing quote"],
    ['"a"b', "nothing may follow"],
    ['"a\\nb"', "may only escape"],
  ])("refuses %j with a 400 that says why (%s)", (header, reason) => {
    const err = rejection(header);
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_idempotency_key");
    expect(err.param).toBe("idempotency-key");
    expect(err.message).toContain(reason);
  });

  it("refuses several headers", () => {
    expect(rejection(["a", "b"]).code).toBe("invalid_idempotency_key");
  });
});

describe("scopes", () => {
  it("gives each API key its own namespace by default, and a team one when asked", () => {
    const a = { keyId: "key_a", teamId: "t1" };
    const b = { keyId: "key_b", teamId: "t1" };
    expect(scopedKey(scopeOf(a, "key"), "k")).not.toBe(scopedKey(scopeOf(b, "key"), "k"));
    expect(scopedKey(scopeOf(a, "team"), "k")).toBe(scopedKey(scopeOf(b, "team"), "k"));
    // A key without a team keeps its own scope; it never shares with a team whose id looks like its key id.
    expect(scopeOf({ keyId: "t1" }, "team")).not.toBe(scopeOf(a, "team"));
  });

  it("stores a hash, never the key itself", () => {
    const stored = scopedKey("key:key_a", "my-secret-retry-key");
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain("my-secret");
  });
});

describe("requestFingerprint", () => {
  const body = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.2 };

  it("ignores key order and the delivery mode (stream, stream_options) only", () => {
    const base = requestFingerprint({ api: "openai-chat", body });
    expect(requestFingerprint({ api: "openai-chat", body: { temperature: 0.2, messages: [{ content: "hi", role: "user" }], model: "m" } })).toBe(base);
    expect(requestFingerprint({ api: "openai-chat", body: { ...body, stream: true, stream_options: { include_usage: true } } })).toBe(base);
  });

  it("changes with any other field, value or the inbound API", () => {
    const base = requestFingerprint({ api: "openai-chat", body });
    expect(requestFingerprint({ api: "openai-chat", body: { ...body, temperature: 0.3 } })).not.toBe(base);
    expect(requestFingerprint({ api: "openai-chat", body: { ...body, user: "u1" } })).not.toBe(base);
    expect(requestFingerprint({ api: "openai-chat", body: { ...body, messages: [{ role: "user", content: "hi " }] } })).not.toBe(base);
    expect(requestFingerprint({ api: "openai-responses", body })).not.toBe(base);
  });

  it("canonical JSON sorts keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: "x", u: undefined })).toBe('{"a":"x","b":[2,{"c":null,"d":1}]}');
  });
});
