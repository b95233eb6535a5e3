import { describe, expect, it } from "vitest";
import { apiId } from "./api-id.js";

describe("apiId", () => {
  it("keeps an id already in the API's form, and prefixes another API's id", () => {
    expect(apiId("msg_", "msg_01ABC")).toBe("msg_01ABC");
    expect(apiId("msg_", "chatcmpl-sim9x")).toBe("msg_chatcmplsim9x");
    expect(apiId("chatcmpl-", "msg_01ABC")).toBe("chatcmpl-msg01ABC");
    expect(apiId("chatcmpl-", "chatcmpl-1")).toBe("chatcmpl-1");
  });

  it("makes a fresh one when the upstream gave none", () => {
    expect(apiId("msg_", "")).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(apiId("msg_", undefined)).not.toBe(apiId("msg_", undefined));
  });
});
