import { describe, expect, it } from "vitest";
import { apiPath } from "./api-path.js";

describe("apiPath", () => {
  it("serves /openai/v1/* as /v1/*", () => {
    expect(apiPath("/openai/v1/chat/completions", undefined)).toBe("/v1/chat/completions");
    expect(apiPath("/openai/v1/models", undefined)).toBe("/v1/models");
    expect(apiPath("/openai/v2/models", undefined)).toBe("/openai/v2/models");
  });

  it("strips the base path only as a whole segment, and keeps unprefixed paths working", () => {
    expect(apiPath("/llm/v1/chat/completions", "/llm")).toBe("/v1/chat/completions");
    expect(apiPath("/llm/openai/v1/embeddings", "/llm")).toBe("/v1/embeddings");
    expect(apiPath("/llm", "/llm")).toBe("/");
    expect(apiPath("/llmx/v1/chat/completions", "/llm")).toBe("/llmx/v1/chat/completions");
    expect(apiPath("/v1/chat/completions", "/llm")).toBe("/v1/chat/completions");
    expect(apiPath("/a/b/v1beta/models/m:generateContent", "/a/b")).toBe("/v1beta/models/m:generateContent");
  });
});
