import { describe, expect, it } from "vitest";
import { UpstreamProtocolError } from "../../errors/upstream-errors.js";
import { StreamedCall } from "./streamed-call.js";

describe("a function call streamed in pieces", () => {
  it("sets each value at its path, appends a continued string, and keeps the first part's arguments", () => {
    const call = new StreamedCall("plan", "c2ln", { kind: "trip" });
    call.add([{ jsonPath: "$.stops[0].city", stringValue: "Par", willContinue: true }]);
    call.add([
      { jsonPath: "$.stops[0].city", stringValue: "is", willContinue: true },
      { jsonPath: "$.stops[0].city", stringValue: "" },
    ]);
    call.add([
      { jsonPath: "$.stops[1]['night count']", numberValue: 2 },
      { jsonPath: "$.confirmed", boolValue: false },
      { jsonPath: '$["note"]', nullValue: "NULL_VALUE" },
    ]);
    // A new string at a path that is not being continued replaces, it does not append.
    call.add([{ jsonPath: "$.kind", stringValue: "holiday" }]);
    expect(JSON.parse(call.arguments())).toEqual({ kind: "holiday", stops: [{ city: "Paris" }, { "night count": 2 }], confirmed: false, note: null });
    expect(call.name).toBe("plan");
    expect(call.thoughtSignature).toBe("c2ln");
  });

  it("a path that is not a JSON path is the upstream's protocol error", () => {
    const call = new StreamedCall("f", undefined, undefined);
    expect(() => call.add([{ jsonPath: "stops.0", stringValue: "x" }])).toThrow(UpstreamProtocolError);
    expect(() => call.add([{ jsonPath: "$.a[", stringValue: "x" }])).toThrow(UpstreamProtocolError);
    expect(call.arguments()).toBe("{}");
  });
});
