import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  chatSseBytes,
  expectedFromChatChunks,
  fixturesDir,
  listFixtures,
  loadChunks,
  mulberry32,
  namedEventSseBytes,
  seedMessage,
  splitAt,
  splitAtRandomOffsets,
  testSeed,
  trickyOffsets,
} from "./fixtures.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("fixtures location", () => {
  it("finds the recordings inside the repository", () => {
    expect(path.basename(fixturesDir())).toBe("recorded");
    expect(listFixtures("mistral", ".chunks.txt")).toEqual(["mistral/mistral-text.chunks.txt", "mistral/mistral-tool-call.chunks.txt"]);
  });

  it("loads one payload per line", () => {
    const chunks = loadChunks("mistral/mistral-tool-call.chunks.txt");
    expect(chunks).toHaveLength(2);
    for (const c of chunks) expect(() => JSON.parse(c)).not.toThrow();
  });
});

describe("framing", () => {
  it("rebuilds Chat Completions framing with \\n or \\r\\n", () => {
    expect(chatSseBytes(["{}", '{"a":1}']).toString()).toBe('data: {}\n\ndata: {"a":1}\n\ndata: [DONE]\n\n');
    expect(chatSseBytes(["{}"], { crlf: true }).toString()).toBe("data: {}\r\n\r\ndata: [DONE]\r\n\r\n");
  });

  it("rebuilds named-event framing", () => {
    expect(namedEventSseBytes(['{"type":"ping"}']).toString()).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});

describe("random splitting", () => {
  it("mulberry32 is deterministic per seed", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });

  it("takes the seed from TOLLGATE_SEED and names it in messages", () => {
    vi.stubEnv("TOLLGATE_SEED", "1234");
    expect(testSeed()).toBe(1234);
    expect(seedMessage(1234, "ctx")).toBe("ctx, seed=1234 (replay with TOLLGATE_SEED=1234)");
  });

  it("splits into pieces that concatenate back, within the limit", () => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    const buf = Buffer.from("data: é日本😀\r\n\r\n".repeat(20));
    for (let i = 0; i < 200; i++) {
      const pieces = splitAtRandomOffsets(buf, rng, 16);
      expect(Buffer.concat(pieces).equals(buf), seedMessage(seed)).toBe(true);
      expect(pieces.length, seedMessage(seed)).toBeLessThanOrEqual(16);
      expect(
        pieces.every((p) => p.length > 0),
        seedMessage(seed),
      ).toBe(true);
    }
  });

  it("cuts inside multi-byte characters and between \\r and \\n", () => {
    const seed = testSeed();
    const rng = mulberry32(seed);
    const buf = Buffer.from(`${"a".repeat(1000)}é${"b".repeat(1000)}\r\n${"c".repeat(1000)}`);
    expect(trickyOffsets(buf)).toEqual([1001, 2003]);
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      let offset = 0;
      for (const p of splitAtRandomOffsets(buf, rng, 4).slice(0, -1)) seen.add((offset += p.length));
    }
    expect(seen.has(1001) && seen.has(2003), seedMessage(seed)).toBe(true);
  });

  it("splitAt cuts exactly where asked", () => {
    expect(splitAt(Buffer.from("abcdef"), [4, 2, 2, 0, 9]).map(String)).toEqual(["ab", "cd", "ef"]);
  });
});

describe("expectedFromChatChunks", () => {
  it("merges text, reasoning, tool calls (by index or position), finish and usage", () => {
    const payloads = [
      { choices: [], prompt_filter_results: [] },
      { choices: [{ index: 0, delta: { role: "assistant", content: "", reasoning_content: "th" } }] },
      {
        choices: [
          { index: 0, delta: { reasoning_content: "ink", content: null } },
          { index: 1, delta: { content: "other" } },
        ],
      },
      { choices: [{ index: 0, delta: { content: "Hi" } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "b", function: { name: "g", arguments: "" } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: '{"x"' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] } }] },
      { choices: [{ delta: { tool_calls: [{ id: "m", function: { name: "h", arguments: "{}" } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }], usage: null },
      { choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, prompt_cache_hit_tokens: 3, completion_tokens_details: { reasoning_tokens: 2 } } },
    ].map((p) => JSON.stringify(p));
    expect(expectedFromChatChunks(payloads)).toEqual({
      choices: [
        {
          index: 0,
          text: "Hi",
          reasoning: "think",
          toolCalls: [
            // The position-numbered Mistral-style call lands on index 0 and merges into it.
            { id: "m", name: "h", arguments: '{"x":1}{}' },
            { id: "b", name: "g", arguments: "" },
          ],
          finishReason: "tool_calls",
        },
        { index: 1, text: "other", reasoning: "", toolCalls: [], finishReason: null },
      ],
      usage: { inputTokens: 5, outputTokens: 7, cachedInputTokens: 3, cacheWriteTokens: 0, reasoningTokens: 2, source: "reported" },
      rawUsage: { prompt_tokens: 5, completion_tokens: 7, prompt_cache_hit_tokens: 3, completion_tokens_details: { reasoning_tokens: 2 } },
      usageOnly: [false, false, false, false, false, false, false, false, false, true],
    });
  });

  it("prefers prompt_tokens_details.cached_tokens", () => {
    const e = expectedFromChatChunks([JSON.stringify({ choices: [], usage: { prompt_tokens: 9, prompt_tokens_details: { cached_tokens: 4 }, prompt_cache_hit_tokens: 1 } })]);
    expect(e.usage).toMatchObject({ inputTokens: 9, outputTokens: 0, cachedInputTokens: 4 });
  });
});
