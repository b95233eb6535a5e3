import { describe, expect, it } from "vitest";
import { expectedFromConverseBody } from "../../../test/support/bedrock-fixtures.js";
import { listFixtures, loadChunks, loadJson } from "../../../test/support/fixtures.js";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { UpstreamHttpError } from "../../errors/upstream-errors.js";
import type { CanonicalRequest, Message } from "../../spec/canonical-request.js";
import { adapterFor } from "../provider.js";
import { BEDROCK_ANTHROPIC_VERSION, createBedrockAdapter } from "./adapter.js";
import { InvokeStreamDecoder } from "./invoke-stream-decoder.js";
import { invokeStreamBytes, exceptionMessage } from "../../../test/support/bedrock-fixtures.js";
import { isAnthropicModel } from "./model-id.js";

const adapter = createBedrockAdapter({ baseURL: "https://bedrock-runtime.us-east-1.amazonaws.com", headers: { "x-extra": "1" }, defaultMaxTokens: 1000 });

function req(messages: Message[], extra: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return { model: "route", messages, stream: false, includeUsage: false, inbound: { api: "openai-chat", body: {} }, ...extra };
}
const body = (r: CanonicalRequest, model = "amazon.nova-pro-v1:0") => JSON.parse(adapterFor(adapter, r, model).buildRequest(r, model).body) as Record<string, unknown>;

describe("Bedrock: which API serves a request", () => {
  it("Converse for every model, its stream from converse-stream; model ids, inference profiles and ARNs go in the path", () => {
    const r = req([{ role: "user", content: "hi" }]);
    expect(adapterFor(adapter, r, "amazon.nova-pro-v1:0").buildRequest(r, "amazon.nova-pro-v1:0").url).toBe("https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse");
    const s = { ...r, stream: true };
    expect(adapterFor(adapter, s, "us.meta.llama3-3-70b-instruct-v1:0").buildRequest(s, "us.meta.llama3-3-70b-instruct-v1:0").url).toBe(
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse-stream",
    );
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    expect(adapterFor(adapter, r, arn).buildRequest(r, arn).url).toBe(`https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent(arn)}/converse`);
    expect(adapterFor(adapter, r, arn).nativeApi).toBe("bedrock-converse");
  });

  it("a Messages client's Claude request goes through InvokeModel with its own body, the model in the path and Bedrock's anthropic_version", () => {
    const inbound = {
      model: "route",
      max_tokens: 300,
      stream: true,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "hi" }],
      thinking: { type: "enabled", budget_tokens: 1024 },
    };
    const r = req([{ role: "user", content: "hi" }], { stream: true, inbound: { api: "anthropic-messages", body: inbound } });
    for (const model of [
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us.anthropic.claude-haiku-4-5-20251001-v1:0",
      "global.anthropic.claude-opus-4-1-20250805-v1:0",
      "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
    ]) {
      const chosen = adapterFor(adapter, r, model);
      expect(chosen.nativeApi, model).toBe("anthropic-messages");
      const spec = chosen.buildRequest(r, model);
      expect(spec.url, model).toBe(`https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent(model)}/invoke-with-response-stream`);
      const { model: _m, stream: _s, ...rest } = inbound;
      expect(JSON.parse(spec.body), model).toEqual({ anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...rest });
    }
    expect(adapterFor(adapter, { ...r, stream: false }, "anthropic.claude-sonnet-4-5-20250929-v1:0").buildRequest({ ...r, stream: false }, "anthropic.claude-sonnet-4-5-20250929-v1:0").url).toMatch(
      /\/invoke$/,
    );
    // Other clients reach Claude through Converse; Messages clients reach other models through it too.
    expect(adapterFor(adapter, req([{ role: "user", content: "hi" }]), "anthropic.claude-sonnet-4-5-20250929-v1:0").nativeApi).toBe("bedrock-converse");
    expect(adapterFor(adapter, r, "amazon.nova-lite-v1:0").nativeApi).toBe("bedrock-converse");
    expect(isAnthropicModel("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")).toBe(false);
  });
});

describe("Bedrock: the Converse body", () => {
  it("system, turns, tool calls and results, images, settings and tools", () => {
    const got = body(
      req(
        [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
            ],
          },
          {
            role: "assistant",
            content: "Checking.",
            toolCalls: [
              { id: "t1", name: "weather", arguments: '{"city":"Paris"}' },
              { id: "t2", name: "now", arguments: "" },
            ],
          },
          { role: "tool", toolCallId: "t1", content: '{"sky":"clear"}' },
          { role: "tool", toolCallId: "t2", content: "noon" },
        ],
        {
          maxOutputTokens: 200,
          temperature: 0.5,
          topP: 0.9,
          stop: ["END"],
          tools: [{ name: "weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } }, { name: "now" }],
          toolChoice: "required",
        },
      ),
    );
    expect(got).toEqual({
      system: [{ text: "Be brief." }],
      messages: [
        { role: "user", content: [{ text: "What is this?" }, { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } }] },
        { role: "assistant", content: [{ text: "Checking." }, { toolUse: { toolUseId: "t1", name: "weather", input: { city: "Paris" } } }, { toolUse: { toolUseId: "t2", name: "now", input: {} } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ json: { sky: "clear" } }] } }, { toolResult: { toolUseId: "t2", content: [{ text: "noon" }] } }] },
      ],
      inferenceConfig: { maxTokens: 200, temperature: 0.5, topP: 0.9, stopSequences: ["END"] },
      toolConfig: {
        tools: [
          { toolSpec: { name: "weather", description: "Weather", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } },
          // A tool without parameters still declares an (empty) object schema.
          { toolSpec: { name: "now", inputSchema: { json: { type: "object", properties: {} } } } },
        ],
        toolChoice: { any: {} },
      },
    });
    expect(body(req([{ role: "user", content: "x" }], { tools: [{ name: "f" }], toolChoice: { name: "f" } })).toolConfig).toMatchObject({ toolChoice: { tool: { name: "f" } } });
    // tool_choice none on a fresh conversation: the tools are left out.
    expect(body(req([{ role: "user", content: "x" }], { tools: [{ name: "f" }], toolChoice: "none" }))).not.toHaveProperty("toolConfig");
  });

  it("refuses what Converse cannot take, naming the field", () => {
    const refused = (r: CanonicalRequest, param: string) => {
      expect(() => body(r)).toThrow(InvalidRequestError);
      try {
        body(r);
      } catch (err) {
        expect(err).toMatchObject({ status: 400, param });
      }
    };
    refused(req([{ role: "user", content: [{ type: "image", url: "https://example.com/cat.png" }] }]), "messages[0].content[0]");
    refused(req([{ role: "user", content: [{ type: "image", url: "data:image/tiff;base64,AAAA" }] }]), "messages[0].content[0]");
    refused(req([{ role: "user", content: [{ type: "other", raw: { type: "input_audio" } }] }]), "messages[0].content[0]");
    refused(req([{ role: "user", content: "x" }], { n: 2 }), "n");
    refused(
      req([
        { role: "user", content: "x" },
        { role: "assistant", content: null, toolCalls: [{ id: "c", name: "f", arguments: "[1]" }] },
      ]),
      "messages[1].tool_calls[0].function.arguments",
    );
    refused(req([{ role: "system", content: "only" }]), "messages");
    refused(
      req(
        [
          { role: "user", content: "x" },
          { role: "assistant", content: null, toolCalls: [{ id: "c", name: "f", arguments: "{}" }] },
          { role: "tool", toolCallId: "c", content: "1" },
        ],
        { tools: [{ name: "f" }], toolChoice: "none" },
      ),
      "tool_choice",
    );
  });
});

describe("Bedrock: Converse bodies", () => {
  it.each(listFixtures("amazon-bedrock", ".json"))("%s", (fixture) => {
    const wire = loadJson(fixture);
    const expected = expectedFromConverseBody(wire);
    const parsed = adapter.parseResponse(wire);
    const choice = parsed.choices[0]!;
    expect(choice.text).toBe(expected.text === "" ? null : expected.text);
    expect(choice.reasoning ?? "").toBe(expected.reasoning);
    expect(choice.toolCalls ?? []).toEqual(expected.toolCalls);
    expect(choice.finishReason).toBe(expected.stopReason === "tool_use" ? "tool_calls" : "stop");
    expect(parsed.usage).toEqual(expected.usage);
  });

  it("reasoning blocks: the text is reasoning; guardrail intervention is a content filter", () => {
    const parsed = adapter.parseResponse({
      output: {
        message: { role: "assistant", content: [{ reasoningContent: { reasoningText: { text: "Hmm.", signature: "c2ln" } } }, { reasoningContent: { redactedContent: "AAAA" } }, { text: "No." }] },
      },
      stopReason: "guardrail_intervened",
      usage: { inputTokens: 5, outputTokens: 3, cacheReadInputTokens: 40, cacheWriteInputTokens: 0 },
    });
    expect(parsed.choices[0]).toEqual({ index: 0, text: "No.", reasoning: "Hmm.", finishReason: "content_filter" });
    expect(parsed.usage).toMatchObject({ inputTokens: 45, cachedInputTokens: 40 });
  });
});

describe("Bedrock: errors", () => {
  const fields = (status: number, text: string, type?: string) => adapter.parseError(status, text, type ? { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` } : {});
  const asError = (status: number, text: string, type?: string) => {
    const f = fields(status, text, type);
    return new UpstreamHttpError(f.status ?? status, f.message, undefined, f);
  };

  it("throttling and unavailability are retried; validation is the client's 400; refused credentials are the upstream refusing Tollgate", () => {
    expect(asError(429, '{"message":"Too many requests, please wait before trying again."}', "ThrottlingException")).toMatchObject({ status: 429, retryable: true, code: "upstream_rate_limited" });
    expect(asError(503, '{"message":"Bedrock is unable to process your request."}', "ServiceUnavailableException")).toMatchObject({ status: 502, retryable: true });
    expect(asError(400, '{"message":"Malformed input request: #: extraneous key [foo] is not permitted"}', "ValidationException")).toMatchObject({
      status: 400,
      retryable: false,
      code: "upstream_rejected_request",
      relayedCode: "ValidationException",
      message: expect.stringContaining("extraneous key"),
    });
    expect(asError(403, '{"message":"You don\'t have access to the model with the specified model ID."}', "AccessDeniedException")).toMatchObject({
      status: 502,
      code: "upstream_auth_failed",
      fallbackable: true,
    });
    // AWS answers an expired or unknown key with 400/403: it is the gateway's credential, not the client's mistake.
    expect(asError(400, '{"message":"The security token included in the request is expired"}', "ExpiredTokenException")).toMatchObject({ status: 502, code: "upstream_auth_failed" });
    expect(asError(403, '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}')).toMatchObject({
      code: "upstream_auth_failed",
    });
    expect(fields(502, "<html>Bad gateway</html>").message).toBe("Upstream returned 502: <html>Bad gateway</html>");
  });
});

describe("Bedrock: Claude's InvokeModelWithResponseStream", () => {
  it("each chunk's base64 Anthropic event comes out as the Messages event it is; an exception as an Anthropic error", () => {
    const payloads = loadChunks("anthropic/anthropic-text.chunks.txt");
    const decoder = new InvokeStreamDecoder();
    const messages = [...decoder.push(invokeStreamBytes(payloads)), ...decoder.push(exceptionMessage("throttlingException", "slow")), ...decoder.end()];
    expect(messages.slice(0, -1)).toEqual(payloads.map((data) => ({ event: (JSON.parse(data) as { type: string }).type, data })));
    expect(JSON.parse(messages.at(-1)!.data)).toEqual({ type: "error", error: { type: "rate_limit_error", message: "throttlingException: slow" } });
  });
});

describe("Bedrock: embeddings", () => {
  const embed = (input: string[] | number[][], model: string, dimensions?: number) => {
    const r = req([], { embedding: { input, ...(dimensions ? { dimensions } : {}) } });
    return adapter.buildEmbeddingRequest!(r, model);
  };

  it("Titan: one text per call, its token count reported; Cohere: a batch, usage left to the tokenizer", () => {
    const titan = embed(["hello"], "amazon.titan-embed-text-v2:0", 256);
    expect(titan.url).toBe("https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke");
    expect(JSON.parse(titan.body)).toEqual({ inputText: "hello", dimensions: 256 });
    expect(adapter.parseEmbeddingResponse!({ embedding: [0.1, 0.2], inputTextTokenCount: 2 })).toEqual({
      model: "",
      vectors: [[0.1, 0.2]],
      rawEncoding: "float",
      usage: { inputTokens: 2, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" },
    });
    expect(JSON.parse(embed(["a", "b"], "cohere.embed-english-v3").body)).toEqual({ texts: ["a", "b"], input_type: "search_document", embedding_types: ["float"] });
    expect(adapter.parseEmbeddingResponse!({ id: "x", embeddings: { float: [[1], [2]] }, response_type: "embeddings_by_type" })).toEqual({ model: "", vectors: [[1], [2]], rawEncoding: "float" });
    expect(adapter.parseEmbeddingResponse!({ id: "x", embeddings: [[1], [2]], response_type: "embeddings_floats" }).vectors).toEqual([[1], [2]]);
  });

  it("a batch to Titan, and token arrays, are 400s", () => {
    expect(() => embed(["a", "b"], "amazon.titan-embed-text-v2:0")).toThrow(InvalidRequestError);
    expect(() => embed([[1, 2]], "cohere.embed-english-v3")).toThrow(/token arrays/);
  });
});
