import { describe, expect, it } from "vitest";
import { parseBatchEmbedContentsRequest } from "../../apis/gemini/embeddings.js";
import { parseGenerateContentRequest } from "../../apis/gemini/parse-request.js";
import { withSystemPrompt } from "../../stages/pin-system-prompt.js";
import { createGoogleAdapter } from "./adapter.js";

const adapter = createGoogleAdapter({ baseURL: "https://generativelanguage.googleapis.com/v1beta", apiKey: "k", headers: {} });
const body = {
  contents: [{ role: "user", parts: [{ text: "Hi" }] }],
  tools: [{ googleSearch: {} }, { functionDeclarations: [{ name: "f", parameters: { type: "OBJECT", properties: { a: { type: "STRING" } } } }] }],
  generationConfig: { maxOutputTokens: 64, thinkingConfig: { thinkingBudget: 0 }, topK: 3 },
  safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_NONE" }],
  cachedContent: "cachedContents/abc",
};

describe("Gemini in, Gemini out", () => {
  it("sends the client's body as it came, the model in the URL only", () => {
    const spec = adapter.buildRequest(parseGenerateContentRequest(body, { model: "route", stream: true }), "gemini-2.5-flash");
    expect(spec.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    expect(JSON.parse(spec.body)).toEqual(body);
  });

  it("once rewritten (a pinned system prompt), rebuilds the body and carries over what no canonical field holds", () => {
    const request = withSystemPrompt(parseGenerateContentRequest(body, { model: "route", stream: false }), { text: "Pinned.", mode: "pin", clientSystem: "after" });
    const sent = JSON.parse(adapter.buildRequest(request, "gemini-2.5-flash").body) as Record<string, unknown>;
    expect(sent).toEqual({
      systemInstruction: { parts: [{ text: "Pinned." }] },
      contents: [{ role: "user", parts: [{ text: "Hi" }] }],
      tools: [{ functionDeclarations: [{ name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } }] }, { googleSearch: {} }],
      generationConfig: { maxOutputTokens: 64, thinkingConfig: { thinkingBudget: 0 }, topK: 3 },
      safetySettings: body.safetySettings,
      cachedContent: "cachedContents/abc",
    });
  });

  it("embeddings keep each request's own fields", () => {
    const request = parseBatchEmbedContentsRequest({ requests: [{ model: "models/x", content: { parts: [{ text: "a" }] }, taskType: "RETRIEVAL_DOCUMENT", title: "Doc" }] }, "route");
    expect(JSON.parse(adapter.buildEmbeddingRequest!(request, "gemini-embedding-001").body)).toEqual({
      requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] }, taskType: "RETRIEVAL_DOCUMENT", title: "Doc" }],
    });
  });
});
