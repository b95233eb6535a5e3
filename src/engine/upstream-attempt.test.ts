import { describe, expect, it } from "vitest";
import { UpstreamConnectionError, UpstreamHttpError, UpstreamProtocolError } from "../errors/upstream-errors.js";
import { usageOf } from "./final-usage.js";
import { chatRequest, scriptedProvider, TIMEOUTS } from "./test-support/scripted-upstream.js";
import { openUpstream } from "./upstream-attempt.js";

/** A Chat Completions body of about `bytes`, its text one long string with quotes and brackets in it. */
function completion(bytes: number, extra: Record<string, unknown> = {}): string {
  const content = 'a "quoted" {word} [x] \\ '.repeat(Math.ceil(bytes / 24)).slice(0, bytes);
  return JSON.stringify({
    id: "c1",
    object: "chat.completion",
    created: 7,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 11, completion_tokens: 2_000, total_tokens: 2_011, prompt_tokens_details: { cached_tokens: 3 } },
    ...extra,
  });
}

let parses = 0;

/** The body arrives in reads of up to 64 KB, as a socket's would. */
function open(body: string) {
  const reads = Array.from({ length: Math.ceil(body.length / 65_536) }, (_, k) => body.slice(k * 65_536, (k + 1) * 65_536));
  const provider = scriptedProvider("up", [{ body: [...reads.map((text) => ({ text })), { end: true }] }]);
  const parse = provider.adapter.parseResponse;
  provider.adapter.parseResponse = (json) => {
    parses++;
    return parse(json);
  };
  return openUpstream(provider, chatRequest(false), "m", TIMEOUTS, new AbortController().signal);
}

describe("openUpstream, non-streamed", () => {
  it("reads a large answer for its usage alone, and parses the rest when first asked, as a small one is parsed", async () => {
    const body = completion(200_000);
    parses = 0;
    const opened = await open(body);
    if (opened.kind !== "response") throw new Error(opened.kind);
    expect(parses, "not parsed until read").toBe(0);
    expect(opened.usage).toEqual({ inputTokens: 11, outputTokens: 2_000, cachedInputTokens: 3, cacheWriteTokens: 0, reasoningTokens: 0, source: "reported" });
    expect(usageOf(chatRequest(false), opened)).toBe(opened.usage);
    expect(opened.raw, "the reads as they came, never joined").toHaveLength(4);
    expect(Buffer.concat(opened.raw).toString("utf8")).toBe(body);
    const small = await open(completion(1_000));
    if (small.kind !== "response") throw new Error(small.kind);
    expect(small.usage).toBeUndefined();
    expect(opened.response).toEqual({
      ...small.response,
      choices: [{ ...small.response.choices[0], text: (JSON.parse(body) as { choices: [{ message: { content: string } }] }).choices[0].message.content }],
    });
    expect(opened.response).toBe(opened.response);
    expect(parses, "the small one at once, the large one when read, once").toBe(2);
  });

  it("parses a large answer whole when its structure is wrong or it lacks choices, and fails it before the client sees anything", async () => {
    await expect(open(completion(200_000).slice(0, -1))).rejects.toBeInstanceOf(UpstreamProtocolError);
    await expect(open(`${completion(200_000)}]`)).rejects.toBeInstanceOf(UpstreamProtocolError);
    const noChoices = JSON.stringify({ id: "c1", note: "x".repeat(200_000), usage: { prompt_tokens: 1 } });
    await expect(open(noChoices)).rejects.toThrow(/without a choices array/);
  });

  it("counts a large answer without usage from its text", async () => {
    const body = completion(100_000, { usage: null });
    const opened = await open(body);
    if (opened.kind !== "response") throw new Error(opened.kind);
    expect(opened.usage).toBeUndefined();
    expect(usageOf(chatRequest(false), opened)).toMatchObject({ source: "estimated", outputTokens: expect.any(Number) });
    expect(usageOf(chatRequest(false), opened).outputTokens).toBeGreaterThan(10_000);
  });
});

describe("openUpstream, reading a body", () => {
  it("reads an error answer up to 64 KB and stops there, without waiting for the rest", async () => {
    const provider = scriptedProvider("up", [{ status: 503, body: [{ text: "x".repeat(40_000) }, { text: "y".repeat(40_000) }] }]);
    const failure = openUpstream(provider, chatRequest(false), "m", TIMEOUTS, new AbortController().signal);
    await expect(failure).rejects.toBeInstanceOf(UpstreamHttpError);
    await expect(failure).rejects.toThrow(/Upstream returned 503/);
  });

  it("fails an answer cut before its end as a connection failure", async () => {
    const cut = scriptedProvider("up", [{ body: [{ text: '{"id":"c1",' }, { cut: true }] }]);
    await expect(openUpstream(cut, chatRequest(false), "m", TIMEOUTS, new AbortController().signal)).rejects.toThrow(new UpstreamConnectionError("Upstream connection failed: other side closed"));
  });
});
