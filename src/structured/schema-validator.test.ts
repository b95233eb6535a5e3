import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { candidateValue, simpleSchema } from "../../test/support/json-schema-arbitraries.js";
import { parseAnswer } from "./answer-json.js";
import { cachedSchemas, InvalidSchemaError, schemaCheck } from "./schema-validator.js";

// The reference: a fresh ajv (draft 2020-12), used directly.
const reference = new Ajv2020({ allErrors: true, strict: false });

describe("schemaCheck", () => {
  test("agrees with ajv on random values against random simple schemas; a rejection names at least one violation (property)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(simpleSchema, candidateValue, (schema, value) => {
        const expected = reference.validate(schema, value);
        if (expected) accepted++;
        const violations = schemaCheck(schema)(value);
        expect(violations.length === 0).toBe(expected);
        if (!expected) for (const v of violations) expect(v.path === "" || v.path.startsWith("/")).toBe(true);
      }),
      { numRuns: 400 },
    );
    // Both verdicts are exercised, not only rejections.
    expect(accepted).toBeGreaterThan(0);
  });

  test("names the JSON pointer of each violation and the unexpected property", () => {
    const check = schemaCheck({ type: "object", properties: { items: { type: "array", items: { type: "integer" } } }, required: ["items", "id"], additionalProperties: false });
    expect(check({ items: [1, "two"], extra: true })).toEqual([
      { path: "", message: "must have required property 'id'" },
      { path: "", message: 'must NOT have additional properties: "extra"' },
      { path: "/items/1", message: "must be integer" },
    ]);
  });

  test("refuses invalid schemas and unresolved references", () => {
    expect(() => schemaCheck({ type: "strnig" })).toThrow(InvalidSchemaError);
    expect(() => schemaCheck({ properties: { a: { $ref: "#/$defs/none" } } })).toThrow(/can't resolve reference/);
    expect(() => schemaCheck({ minimum: "1" })).toThrow(InvalidSchemaError);
  });

  test("equal schemas (keys in any order) compile once; two schemas with one $id do not collide", () => {
    const before = cachedSchemas();
    const a = schemaCheck({ $id: "https://example.com/s", type: "object", properties: { x: { type: "string" } } });
    const b = schemaCheck({ properties: { x: { type: "string" } }, type: "object", $id: "https://example.com/s" });
    expect(a).toBe(b);
    const c = schemaCheck({ $id: "https://example.com/s", type: "integer" });
    expect(c(1)).toEqual([]);
    expect(a({ x: 1 })).toHaveLength(1);
    expect(cachedSchemas()).toBe(Math.min(before + 2, 256));
  });

  test("the cache is bounded", () => {
    for (let i = 0; i < 300; i++) schemaCheck({ type: "integer", maximum: 10_000 + i });
    expect(cachedSchemas()).toBe(256);
  });
});

describe("parseAnswer", () => {
  test("reads JSON, also inside one code fence; anything else is a violation at the root", () => {
    expect(parseAnswer(' {"a": 1} ')).toEqual({ ok: true, value: { a: 1 }, text: '{"a": 1}' });
    expect(parseAnswer('```json\n{"a": 1}\n```')).toEqual({ ok: true, value: { a: 1 }, text: '{"a": 1}' });
    expect(parseAnswer("Here you go: {}")).toMatchObject({ ok: false, violation: { path: "", message: expect.stringContaining("is not valid JSON") } });
    expect(parseAnswer("")).toMatchObject({ ok: false, violation: { message: "is not valid JSON (the answer is empty)" } });
  });
});

describe("schemaCheck: draft-07", () => {
  test("reads a schema that declares draft-07 as draft-07 (the openai SDK's zod helpers send one)", () => {
    const check = schemaCheck({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { n: { type: "integer" }, t: { type: "array", items: [{ type: "string" }], additionalItems: false } },
      required: ["n"],
    });
    expect(check({ n: 1, t: ["a"] })).toEqual([]);
    expect(check({ n: "x" })).toEqual([{ path: "/n", message: "must be integer" }]);
    expect(check({ n: 1, t: ["a", "b"] }).length).toBe(1);
  });
});
