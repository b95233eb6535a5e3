import { describe, expect, it } from "vitest";
import { toGeminiSchema } from "../../providers/google/schema.js";
import { jsonSchemaFromGemini } from "./json-schema.js";

describe("Gemini schema to JSON Schema", () => {
  it("lower-cases the SDKs' Type enum, turns nullable into a null type and leaves propertyOrdering out", () => {
    const gemini = {
      type: "OBJECT",
      properties: {
        city: { type: "STRING", description: "City name" },
        days: { type: "INTEGER", nullable: true, minimum: 1 },
        tags: { type: "ARRAY", items: { type: "STRING", enum: ["a", "b"] } },
        either: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }], nullable: true },
      },
      required: ["city"],
      propertyOrdering: ["city", "days", "tags"],
    };
    expect(jsonSchemaFromGemini(gemini)).toEqual({
      type: "object",
      properties: {
        city: { type: "string", description: "City name" },
        days: { type: ["integer", "null"], minimum: 1 },
        tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
        either: { anyOf: [{ type: "string" }, { type: "number" }, { type: "null" }] },
      },
      required: ["city"],
    });
  });

  it("round-trips through the google provider's conversion", () => {
    const gemini = { type: "object", properties: { q: { type: "string", nullable: true }, n: { type: "number" } }, required: ["q"] };
    expect(toGeminiSchema(jsonSchemaFromGemini(gemini))).toEqual(gemini);
  });

  it("reads anything that is not a schema as an empty one", () => {
    expect(jsonSchemaFromGemini(null)).toEqual({});
    expect(jsonSchemaFromGemini([1])).toEqual({});
  });
});
