import { describe, expect, it } from "vitest";
import { Redactor } from "../errors/redact.js";
import type { RequestRecord } from "../spec/request-record.js";
import { factsOf } from "./record-facts.js";
import { requestLogFields } from "./request-log.js";

const SECRET = "host-secret-Zq81Lm92";
const redactor = new Redactor();
redactor.add(SECRET);
const redact = (text: string) => redactor.redact(text);

const record = (identity: RequestRecord["identity"]): RequestRecord => ({
  id: "req_1",
  api: "openai-chat",
  startedAt: 0,
  route: "fast",
  identity,
  stream: false,
  status: 502,
  outcome: "failed",
  errorCode: "upstream_error",
  attempts: [{ attempt: 1, provider: "up", model: "m", startedAt: 0, status: "error" }],
  latencyMs: 12.34,
});
const fieldsOf = (r: RequestRecord, error?: unknown) => JSON.parse(`{${requestLogFields(r, { error, header: () => undefined }, factsOf(r, undefined), redact)}}`) as Record<string, unknown>;

describe("requestLogFields", () => {
  it("redacts every text a client, a host or an upstream gave; leaves out what does not apply", () => {
    const identity = {
      keyId: `k ${SECRET}`,
      userId: `u ${SECRET}`,
      teamId: `t ${SECRET}`,
      endUser: `e "${SECRET}"`,
      tags: { env: `prod ${SECRET}`, x: "Bearer abcdefghijkl", [SECRET]: "named by a client" },
    };
    expect(fieldsOf(record(identity), new Error(`key ${SECRET} revoked`))).toEqual({
      request_id: "req_1",
      key_id: "k [REDACTED]",
      user: "u [REDACTED]",
      team: "t [REDACTED]",
      end_user: 'e "[REDACTED]"',
      tags: { env: "prod [REDACTED]", x: "[REDACTED]", "[REDACTED]": "named by a client" },
      route: "fast",
      api: "openai-chat",
      stream: false,
      provider: "up",
      model: "m",
      attempts: 1,
      retries: 0,
      steps: 0,
      fallback: false,
      status: 502,
      outcome: "failed",
      error_code: "upstream_error",
      error_message: "key [REDACTED] revoked",
      latency_ms: 12.3,
      cache_hit: false,
    });
  });

  it("redacts the strings nested in tags a host's identity hook made of other types", () => {
    const tags = { env: "prod", nested: { deep: [SECRET, 3] }, [SECRET]: 1 } as unknown as Record<string, string>;
    expect(fieldsOf(record({ keyId: "key_1", tags })).tags).toEqual({ env: "prod", nested: { deep: ["[REDACTED]", 3] }, "[REDACTED]": 1 });
  });

  it("keeps a tag a client named __proto__ as a field", () => {
    const tags = JSON.parse('{"__proto__":"x","env":"prod"}') as Record<string, string>;
    expect(Object.entries(fieldsOf(record({ keyId: "key_1", tags })).tags as object)).toEqual([
      ["__proto__", "x"],
      ["env", "prod"],
    ]);
  });
});
