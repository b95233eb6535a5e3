import { describe, expect, test } from "vitest";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { sameFormatBody } from "./same-format-body.js";

const inbound = { model: "route", messages: [{ role: "user", content: "hi" }], logprobs: true, user: "u-1", service_tier: "flex" };
const request: CanonicalRequest = {
  model: "route",
  messages: [{ role: "user", content: "hi" }],
  stream: false,
  includeUsage: false,
  dropped: ["logprobs", "service_tier"],
  inbound: { api: "openai-chat", body: inbound },
};
const build = () => ({ model: "gpt", messages: [{ role: "system", content: "pinned" }, { role: "user", content: "hi" }] });

describe("sameFormatBody", () => {
  test("another API: nothing (the caller translates)", () => {
    expect(sameFormatBody(request, "anthropic-messages", "gpt", build)).toBeUndefined();
  });

  test("untouched: the client's body with the target's model", () => {
    expect(sameFormatBody(request, "openai-chat", "gpt", build)).toEqual({ ...inbound, model: "gpt" });
  });

  test("rewritten: the built body, plus the client's unmodelled fields and user", () => {
    expect(sameFormatBody({ ...request, rewritten: true }, "openai-chat", "gpt", build)).toEqual({ ...build(), logprobs: true, service_tier: "flex", user: "u-1" });
  });
});
