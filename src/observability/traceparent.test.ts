import { describe, expect, it } from "vitest";
import { parseTraceparent } from "./traceparent.js";

describe("parseTraceparent", () => {
  it("reads a sampled W3C parent", () => {
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toEqual({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
      isRemote: true,
    });
  });

  it("keeps an unsampled parent unsampled", () => {
    expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.traceFlags).toBe(0);
  });

  it("accepts a future version with extra fields", () => {
    expect(parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")?.spanId).toBe("b7ad6b7169203331");
  });

  it.each([
    undefined,
    "",
    "garbage",
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
    "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
  ])("ignores %j", (header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});
