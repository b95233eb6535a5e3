import { describe, expect, it } from "vitest";
import { Redactor } from "./redact.js";

describe("Redactor", () => {
  it("masks every occurrence of an added secret", () => {
    const r = new Redactor();
    r.add("hunter2-upstream-key");
    expect(r.redact("key hunter2-upstream-key rejected; retry with hunter2-upstream-key")).toBe("key [REDACTED] rejected; retry with [REDACTED]");
  });

  it("masks secrets whatever characters they hold", () => {
    const r = new Redactor();
    r.add("a.b*c+d?(e)$");
    expect(r.redact("x a.b*c+d?(e)$ y")).toBe("x [REDACTED] y");
  });

  it("masks the longer of two overlapping secrets whole", () => {
    const r = new Redactor();
    r.add("abcdef");
    r.add("abcdef-ghijkl");
    expect(r.redact("abcdef-ghijkl and abcdef")).toBe("[REDACTED] and [REDACTED]");
  });

  it("ignores undefined, empty and very short values", () => {
    const r = new Redactor();
    r.add(undefined);
    r.add("");
    r.add("abc");
    r.add("12345");
    expect(r.redact("abc 12345 text")).toBe("abc 12345 text");
  });

  it("masks common key shapes it was never given", () => {
    const r = new Redactor();
    expect(r.redact("Incorrect API key provided: sk-proj-AbCdEf0123456789xyz.")).toBe("Incorrect API key provided: [REDACTED].");
    expect(r.redact("key sk_live_0123456789abcdef end")).toBe("key [REDACTED] end");
    expect(r.redact("Incorrect API key provided: sk-abc1********************wxyz. You can find")).toBe("Incorrect API key provided: [REDACTED]. You can find");
    expect(r.redact('{"api_key":"tg-0123456789abcdef"}')).toBe('{"api_key":"[REDACTED]"}');
    expect(r.redact("google key AIzaSyA-0123456789abcdefghijklmnop")).toBe("google key [REDACTED]");
  });

  it("masks bearer tokens", () => {
    const r = new Redactor();
    expect(r.redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-abc==")).toBe("Authorization: [REDACTED]");
    expect(r.redact("header was 'Bearer abcdefgh12345678' and")).toBe("header was '[REDACTED]' and");
  });

  it("leaves ordinary text alone", () => {
    const r = new Redactor();
    r.add("sekrit-value-1");
    const texts = [
      "The model gpt-4o-mini is not available in region eu-west-1.",
      "Rate limit reached for requests per minute (RPM): limit 500, used 500.",
      "task-12345678 failed; risk-assessment pending; desk_organizer_large",
      "Missing Bearer token",
      "sk-short",
      "Unsupported parameter: 'max_tokens' is not supported with this model.",
      "naïve café 日本語 😀",
      "",
    ];
    for (const text of texts) expect(r.redact(text)).toBe(text);
  });

  it("masks cloud credential shapes: AWS access key ids, Google OAuth tokens, Bedrock API keys", () => {
    const r = new Redactor();
    expect(r.redact("The security token included in the request is invalid: ASIAXYZ0123456789ABC")).toBe("The security token included in the request is invalid: [REDACTED]");
    expect(r.redact("key AKIAIOSFODNN7EXAMPLE refused")).toBe("key [REDACTED] refused");
    expect(r.redact("token ya29.a0AfH6SMBx-test_token.value expired")).toBe("token [REDACTED] expired");
    expect(r.redact("ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleQ== is not valid")).toBe("[REDACTED] is not valid");
    // Words that merely start alike stay.
    expect(r.redact("ASIA is a continent; AKIA alone is not a key")).toBe("ASIA is a continent; AKIA alone is not a key");
  });

  it("can be applied twice without change", () => {
    const r = new Redactor();
    r.add("my-secret-key");
    const once = r.redact("my-secret-key and sk-0123456789abcdef and Bearer abcdefghijk");
    expect(once).toBe("[REDACTED] and [REDACTED] and [REDACTED]");
    expect(r.redact(once)).toBe(once);
  });
});
