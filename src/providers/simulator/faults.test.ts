import { describe, expect, it } from "vitest";
import { activeFault, effectiveFault, faultFromModel } from "./faults.js";

describe("faultFromModel", () => {
  it("reads the fault suffix of a model name", () => {
    expect(faultFromModel("sim")).toBeUndefined();
    expect(faultFromModel("sim+429")).toEqual({ kind: "status", status: 429 });
    expect(faultFromModel("sim+500")).toEqual({ kind: "status", status: 500 });
    expect(faultFromModel("sim+hang")).toEqual({ kind: "hang" });
    expect(faultFromModel("sim+stall")).toEqual({ kind: "stall" });
    expect(faultFromModel("sim+cut")).toEqual({ kind: "cut" });
    expect(faultFromModel("sim+malformed")).toEqual({ kind: "malformed" });
    expect(faultFromModel("sim+200")).toBeUndefined();
    expect(faultFromModel("sim+other")).toBeUndefined();
  });
});

describe("effectiveFault", () => {
  it("lets the suffix choose the kind and keeps the configured parameters", () => {
    expect(effectiveFault("sim", { kind: "cut", afterTokens: 2 })).toEqual({ kind: "cut", afterTokens: 2 });
    expect(effectiveFault("sim+hang", { kind: "status", status: 503, times: 2 })).toEqual({ kind: "hang", times: 2 });
    expect(effectiveFault("sim+429", { kind: "stall", retryAfterSeconds: 3 })).toEqual({ kind: "status", status: 429, retryAfterSeconds: 3 });
    expect(effectiveFault("sim+stall", undefined)).toEqual({ kind: "stall" });
  });
});

describe("activeFault", () => {
  it("applies defaults", () => {
    expect(activeFault({ kind: "status" }, 0)).toEqual({ kind: "status", status: 500 });
    expect(activeFault({ kind: "status", status: 429 }, 0)).toEqual({ kind: "status", status: 429, retryAfterSeconds: 1 });
    expect(activeFault({ kind: "stall" }, 0)).toEqual({ kind: "stall", afterTokens: 5 });
    expect(activeFault(undefined, 0)).toBeUndefined();
  });

  it("misbehaves only on the first `times` calls", () => {
    const fault = { kind: "cut" as const, times: 2 };
    expect(activeFault(fault, 0)).toBeDefined();
    expect(activeFault(fault, 1)).toBeDefined();
    expect(activeFault(fault, 2)).toBeUndefined();
  });
});
