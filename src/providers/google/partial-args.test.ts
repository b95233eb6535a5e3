import { describe, expect, it } from "vitest";
import { StreamedCall } from "./partial-args.js";

describe("StreamedCall", () => {
  it("assembles nested objects and arrays, appending string pieces in order", () => {
    const call = new StreamedCall("cook");
    call.apply([{ jsonPath: "$.recipe.steps[0]", stringValue: "Preheat" }]);
    call.apply([{ jsonPath: "$.recipe.steps[0]", stringValue: " the oven." }, { jsonPath: "$.recipe.steps[0]", stringValue: "" }]);
    call.apply([{ jsonPath: "$.recipe.items[1].price", numberValue: 0.5 }, { jsonPath: "$.recipe.items[1].ok", boolValue: true }, { jsonPath: "$.note", nullValue: "NULL_VALUE" }]);
    expect(call.args).toEqual({ recipe: { steps: ["Preheat the oven."], items: [undefined, { price: 0.5, ok: true }] }, note: null });
    expect(JSON.parse(JSON.stringify(call.args))).toEqual({ recipe: { steps: ["Preheat the oven."], items: [null, { price: 0.5, ok: true }] }, note: null });
  });

  it("ignores a piece whose path it cannot read", () => {
    const call = new StreamedCall("f");
    call.apply([{ jsonPath: "recipe" }, { stringValue: "x" }, { jsonPath: "$..deep", stringValue: "y" }]);
    expect(call.args).toEqual({});
  });
});
