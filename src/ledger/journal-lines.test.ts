import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Identity } from "../spec/identity.js";
import type { JournalBegin } from "./journal.js";
import { beginLine, billedIdentity, endLine, SAME_IDENTITY } from "./journal-lines.js";
import { makeRecord } from "./test-support/records.js";

/** What JSON.stringify of the object makes of it, read back: the lines' reference. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));
// Any UTF-16 text, lone surrogates and control characters included.
const text = fc.string({ unit: "binary" });
const number = fc.oneof(fc.double(), fc.integer());
const identity = fc.record(
  { keyId: text, userId: text, teamId: text, endUser: text, tags: fc.dictionary(text, text), limits: fc.constant({ rpm: 5 }), allowedModels: fc.array(text) },
  { requiredKeys: ["keyId"] },
);
const begin = fc.record(
  {
    id: text,
    startedAt: number,
    api: fc.constantFrom("openai-chat", "anthropic-messages"),
    stream: fc.boolean(),
    route: text,
    identity,
    provider: text,
    model: text,
    inputTokens: number,
    budget: fc.array(fc.record({ counter: text, windowEndsAt: fc.option(number), unit: fc.constantFrom("usd", "tokens", "requests") })),
  },
  { requiredKeys: ["id", "startedAt", "api", "stream", "provider", "model", "inputTokens"] },
) as fc.Arbitrary<JournalBegin>;
const billed = (i: Identity) => asJson(billedIdentity(i)) as Identity;

describe("journal lines", () => {
  it("write a begin line as JSON.stringify writes the entry with its billed identity", () => {
    fc.assert(
      fc.property(begin, (entry) => {
        const expected = entry.identity ? { ...entry, identity: billed(entry.identity) } : entry;
        expect(JSON.parse(beginLine(entry, entry.identity && billedIdentity(entry.identity)))).toEqual(asJson({ b: expected }));
      }),
    );
  });

  it("write every field a begin entry can have", () => {
    // Required: a field added to JournalBegin must be added here, and to the line.
    const entry: Required<JournalBegin> = {
      id: "req_1",
      startedAt: 1,
      api: "openai-chat",
      stream: true,
      route: "chat",
      identity: { keyId: "key_1" },
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 3,
      budget: [{ counter: "usd:day:key:key_1", windowEndsAt: null, unit: "usd" }],
    };
    expect(JSON.parse(beginLine(entry, billedIdentity(entry.identity)))).toEqual({ b: entry });
  });

  it("write an end line as JSON.stringify writes the record, with its billed identity or a reference to the begin line's", () => {
    fc.assert(
      fc.property(fc.option(identity, { nil: undefined }), text, number, fc.option(text, { nil: undefined }), (id, route, latencyMs, errorCode) => {
        const record = makeRecord(1, { identity: id, route, latencyMs, errorCode: errorCode as never, cache: { kind: "exact", savedNanos: 7 } });
        const { identity: _identity, ...rest } = record;
        const expected = id ? { ...record, identity: billed(id) } : rest;
        expect(JSON.parse(endLine(record, id && billedIdentity(id)))).toEqual(asJson({ e: expected }));
        expect(JSON.parse(endLine(record, SAME_IDENTITY))).toEqual(asJson({ e: rest, [SAME_IDENTITY]: 1 }));
      }),
    );
  });

  it("leave the caller's limits and allow-lists off the identity", () => {
    const billedOnly = billedIdentity({ keyId: "key_1", userId: "bob", tags: { env: "prod" }, limits: { rpm: 1 }, userLimits: {}, teamLimits: {}, allowedModels: ["a"], allowedOrigins: ["b"] });
    expect(asJson(billedOnly)).toEqual({ keyId: "key_1", userId: "bob", tags: { env: "prod" } });
  });
});
