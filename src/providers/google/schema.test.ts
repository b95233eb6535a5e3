import { describe, expect, it } from "vitest";
import { toGeminiParameters, toGeminiSchema } from "./schema.js";

describe("JSON Schema to Gemini's schema", () => {
  it("keeps what Gemini knows and drops the rest", () => {
    expect(
      toGeminiSchema({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: "x",
        type: "object",
        title: "T",
        additionalProperties: false,
        properties: { url: { type: "string", format: "uri", minLength: 1 }, when: { type: "string", format: "date-time" }, n: { type: "integer", format: "int32", examples: [1] } },
        required: ["url", "missing"],
      }),
    ).toEqual({
      type: "object",
      title: "T",
      properties: { url: { type: "string", minLength: 1 }, when: { type: "string", format: "date-time" }, n: { type: "integer", format: "int32" } },
      required: ["url"],
    });
  });

  it("inlines local $refs (Pydantic's $defs), and a recursive one becomes a plain object", () => {
    const schema = {
      type: "object",
      properties: { pet: { $ref: "#/$defs/Pet" }, tree: { $ref: "#/definitions/Node" } },
      $defs: { Pet: { type: "object", properties: { name: { type: "string" } } } },
      definitions: { Node: { type: "object", properties: { child: { $ref: "#/definitions/Node" } } } },
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: "object",
      properties: { pet: { type: "object", properties: { name: { type: "string" } } }, tree: { type: "object", properties: { child: { type: "object" } } } },
    });
  });

  it("nullable unions, oneOf, const and allOf", () => {
    expect(toGeminiSchema({ anyOf: [{ type: "integer" }, { type: "null" }], description: "n" })).toEqual({ type: "integer", description: "n", nullable: true });
    expect(toGeminiSchema({ oneOf: [{ type: "string" }, { type: "number" }] })).toEqual({ anyOf: [{ type: "string" }, { type: "number" }] });
    expect(toGeminiSchema({ const: "fixed" })).toEqual({ type: "string", enum: ["fixed"] });
    expect(toGeminiSchema({ type: "integer", enum: [1, 2] })).toEqual({ type: "integer" });
    expect(toGeminiSchema({ allOf: [{ type: "object", properties: { a: { type: "string" } }, required: ["a"] }, { properties: { b: { type: "number" } } }] })).toEqual({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "number" } },
      required: ["a"],
    });
    expect(toGeminiSchema({ type: "array", items: [{ type: "string" }], prefixItems: [] })).toEqual({ type: "array", items: { type: "string" } });
  });

  it("a function without parameters declares none", () => {
    expect(toGeminiParameters(undefined)).toBeUndefined();
    expect(toGeminiParameters({ type: "object", properties: {} })).toBeUndefined();
    expect(toGeminiParameters({ type: "object", properties: { a: { type: "object", properties: {} } } })).toEqual({ type: "object", properties: { a: { type: "object" } } });
  });
});
