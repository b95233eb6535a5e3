import { describe, expect, it } from "vitest";
import { countTextTokens } from "../../usage/tokenizer.js";
import { toolArguments } from "./tool-arguments.js";

describe("toolArguments", () => {
  it("fills required properties by type", () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer" },
        ratio: { type: "number" },
        metric: { type: "boolean" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        note: { type: "string" },
      },
      required: ["city", "days", "ratio", "metric", "unit"],
    };
    expect(JSON.parse(toolArguments(schema, ["Paris"]))).toEqual({ city: "Paris", days: 1, ratio: 1, metric: true, unit: "celsius" });
  });

  it("uses every property when none is marked required, and recurses into objects and arrays", () => {
    const schema = {
      type: "object",
      properties: {
        tags: { type: "array", items: { type: "string" } },
        filter: { type: "object", properties: { active: { type: "boolean" }, limit: { type: ["integer", "null"] } } },
        maybe: { anyOf: [{ type: "null" }, { type: "number" }] },
      },
    };
    expect(JSON.parse(toolArguments(schema, []))).toEqual({ tags: ["example"], filter: { active: true, limit: 1 }, maybe: 1 });
  });

  it("gives {} without a schema and stays ASCII with non-ASCII enum values", () => {
    expect(toolArguments(undefined, ["x"])).toBe("{}");
    const args = toolArguments({ type: "object", properties: { city: { enum: ["Zürich"] } } }, []);
    expect(args).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(args)).toEqual({ city: "Zürich" });
    expect(countTextTokens(args)).toBeGreaterThan(0);
  });
});
