import fc from "fast-check";
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, test } from "vitest";
import { simpleSchema } from "../../test/support/json-schema-arbitraries.js";
import { resolveConfig } from "../config/resolve.js";
import { PriceTable } from "../pricing/price-table.js";
import type { CanonicalRequest, ContentPart, Message, ToolDefinition } from "../spec/canonical-request.js";
import { worstCase } from "./worst-case.js";

// Worst case ≥ bill, always: for generated requests carrying every kind of input (text in
// any script, tool definitions, response schemas, images measured or not, audio, PDFs, text
// documents, cache marks) and every provider, the reservation covers what the provider's
// own accounting would bill. The bill is modelled here from each provider's documentation,
// independently of the gateway's code: the real image sizes and the provider's resizing,
// the real audio duration, the page count, and, for providers whose tokenizer is not
// o200k, a different real tokenizer (cl100k) standing in for theirs.

const config = resolveConfig(
  {
    providers: {
      oa: { type: "openai", baseURL: "http://127.0.0.1:1/v1" },
      ant: { type: "anthropic", baseURL: "http://127.0.0.1:1/v1", defaultMaxTokens: 4096 },
      gem: { type: "google", baseURL: "http://127.0.0.1:1/v1beta", apiKey: "env:G" },
      ds: { type: "openai-compatible", preset: "deepseek" },
    },
    models: { m: { targets: [{ provider: "oa", model: "gpt-4o" }] } },
  },
  { DEEPSEEK_API_KEY: "x", G: "g" },
);
const prices = new PriceTable(PriceTable.shipped());
const costing = { prices, providers: config.providers, at: Date.parse("2026-01-01"), defaultMaxOutputTokens: 4096 };

type Family = "openai" | "anthropic" | "gemini" | "other";
interface Target {
  provider: string;
  model: string;
  family: Family;
  /** Documented maximum output of the model (the provider's own model pages). */
  maxOutput: number;
}
const TARGETS: Target[] = [
  { provider: "oa", model: "gpt-4o", family: "openai", maxOutput: 16384 },
  { provider: "oa", model: "gpt-4o-mini", family: "openai", maxOutput: 16384 },
  { provider: "oa", model: "gpt-4.1-mini", family: "openai", maxOutput: 32768 },
  { provider: "oa", model: "gpt-5", family: "openai", maxOutput: 128000 },
  { provider: "oa", model: "o3", family: "openai", maxOutput: 100000 },
  { provider: "oa", model: "o4-mini", family: "openai", maxOutput: 100000 },
  { provider: "ant", model: "claude-sonnet-4-5", family: "anthropic", maxOutput: 4096 },
  { provider: "ant", model: "claude-haiku-4-5", family: "anthropic", maxOutput: 4096 },
  { provider: "gem", model: "gemini-2.5-pro", family: "gemini", maxOutput: 65536 },
  { provider: "gem", model: "gemini-2.5-flash", family: "gemini", maxOutput: 65536 },
  { provider: "ds", model: "deepseek-chat", family: "other", maxOutput: 8192 },
];

// --- media the generator makes, with what the provider would see ---

type Media =
  | { kind: "image"; width: number; height: number; detail?: "low" | "high" | "auto"; inline: boolean }
  | { kind: "wav"; seconds: number; sampleRate: number }
  | { kind: "mp3"; seconds: number; kbps: number }
  | { kind: "pdf"; pages: number; shape: "anthropic" | "openai-file" };

/** A PNG's signature and header chunk: all an image reader needs for its size. */
function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write("IHDR", 4, "latin1");
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.writeUInt8(8, 16);
  ihdr.writeUInt8(6, 17);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

function wav(seconds: number, sampleRate: number): Buffer {
  const data = seconds * sampleRate * 2;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + data, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

function pdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 3} 0 R`).join(" ");
  const objects = [`1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj`, `2 0 obj << /Type /Pages /Kids [${kids}] /Count ${pages} >> endobj`];
  for (let i = 0; i < pages; i++) objects.push(`${i + 3} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj`);
  return Buffer.from(`%PDF-1.4\n${objects.join("\n")}\n%%EOF\n`, "latin1");
}

function part(media: Media): ContentPart {
  switch (media.kind) {
    case "image":
      return {
        type: "image",
        url: media.inline ? `data:image/png;base64,${png(media.width, media.height).toString("base64")}` : `https://images.example/${media.width}x${media.height}.png`,
        ...(media.detail ? { detail: media.detail } : {}),
      };
    case "wav":
      return { type: "other", raw: { type: "input_audio", input_audio: { data: wav(media.seconds, media.sampleRate).toString("base64"), format: "wav" } } };
    case "mp3":
      return { type: "other", raw: { type: "input_audio", input_audio: { data: Buffer.alloc(Math.ceil((media.seconds * media.kbps * 1000) / 8)).toString("base64"), format: "mp3" } } };
    case "pdf": {
      const data = pdf(media.pages).toString("base64");
      return media.shape === "anthropic"
        ? { type: "other", raw: { type: "document", source: { type: "base64", media_type: "application/pdf", data } } }
        : { type: "other", raw: { type: "file", file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${data}` } } };
    }
  }
}

// --- the provider's bill, from its documentation ---

const O200K = /^(gpt-4o|gpt-4\.1|gpt-5|o3|o4)/;
const textTokens = (target: Target, text: string) => (target.family === "openai" && O200K.test(target.model) ? o200k(text) : cl100k(text));

function openaiImage(model: string, width: number, height: number, detail: string | undefined): number {
  const patch = /^gpt-4\.1-mini/.test(model) ? 1.62 : /^o4-mini/.test(model) ? 1.72 : undefined;
  if (patch !== undefined) {
    // Resized so that at most 1536 patches of 32 px cover it.
    let w = width;
    let h = height;
    if (Math.ceil(w / 32) * Math.ceil(h / 32) > 1536) {
      let shrink = Math.sqrt((32 * 32 * 1536) / (w * h));
      shrink *= Math.min(Math.floor((w * shrink) / 32) / ((w * shrink) / 32), Math.floor((h * shrink) / 32) / ((h * shrink) / 32));
      w = Math.floor(w * shrink);
      h = Math.floor(h * shrink);
    }
    return Math.ceil(Math.min(1536, Math.ceil(w / 32) * Math.ceil(h / 32)) * patch);
  }
  const [base, tile] = /^gpt-4o-mini/.test(model) ? [2833, 5667] : /^gpt-5/.test(model) ? [70, 140] : /^o3/.test(model) ? [75, 150] : [85, 170];
  if (detail === "low") return base;
  let w = width;
  let h = height;
  if (Math.max(w, h) > 2048) [w, h] = [(w * 2048) / Math.max(w, h), (h * 2048) / Math.max(w, h)];
  if (Math.min(w, h) > 768) [w, h] = [(w * 768) / Math.min(w, h), (h * 768) / Math.min(w, h)];
  return base + tile * Math.ceil(w / 512) * Math.ceil(h / 512);
}

function anthropicImage(width: number, height: number): number {
  let w = width;
  let h = height;
  const scale = Math.min(1, 1568 / Math.max(w, h), Math.sqrt(1_150_000 / (w * h)));
  w = Math.floor(w * scale);
  h = Math.floor(h * scale);
  return Math.ceil((w * h) / 750);
}

function geminiImage(width: number, height: number): number {
  if (width <= 384 && height <= 384) return 258;
  // "cropped and scaled as needed into tiles of 768x768 pixels, each counted as 258 tokens"
  return Math.ceil(width / 768) * Math.ceil(height / 768) * 258;
}

function imageBill(target: Target, width: number, height: number, detail: string | undefined): number {
  if (target.family === "openai") return openaiImage(target.model, width, height, detail);
  if (target.family === "anthropic") return anthropicImage(width, height);
  if (target.family === "gemini") return geminiImage(width, height);
  // An OpenAI-compatible server's formula is its own; the test takes the largest known.
  return Math.max(openaiImage("gpt-4o", width, height, undefined), anthropicImage(width, height), geminiImage(width, height));
}

function mediaBill(target: Target, media: Media): number {
  const perSecond = target.family === "openai" ? 10 : 32;
  switch (media.kind) {
    case "image":
      return imageBill(target, media.width, media.height, media.detail);
    case "wav":
    case "mp3":
      return Math.ceil(media.seconds * perSecond);
    case "pdf":
      // Each page: its text (at most 3000 tokens) and its picture (a US letter page at 150 dpi); Gemini: 258 a page.
      return media.pages * (target.family === "gemini" ? 258 : 3000 + imageBill(target, 1275, 1650, "high"));
  }
}

function toolBill(target: Target, tool: ToolDefinition): number {
  if (target.family !== "openai") return textTokens(target, JSON.stringify(tool));
  // OpenAI's count of a function definition (its cookbook): framing, name and description, each property.
  let tokens = 7 + o200k(`${tool.name}:${tool.description ?? ""}`);
  const properties = (tool.parameters?.properties ?? {}) as Record<string, { type?: unknown; description?: unknown; enum?: unknown[] }>;
  if (Object.keys(properties).length > 0) tokens += 3;
  for (const [key, value] of Object.entries(properties)) {
    tokens += 3 + o200k(`${key}:${String(value?.type ?? "")}:${String(value?.description ?? "")}`);
    for (const item of value?.enum ?? []) tokens += 3 + o200k(String(item));
  }
  return tokens;
}

interface Generated {
  request: CanonicalRequest;
  media: Media[];
  /** Every text the provider reads as text. */
  texts: string[];
  cacheMarked: boolean;
}

function bill(target: Target, g: Generated): { tokens: number; nanos: number } {
  const { request } = g;
  let input = 3 + 3 * request.messages.length;
  for (const text of g.texts) input += textTokens(target, text);
  for (const media of g.media) input += mediaBill(target, media);
  for (const tool of request.tools ?? []) input += toolBill(target, tool);
  if (request.tools?.length) input += 12;
  const format = request.responseFormat;
  if (format?.type === "json_schema") input += textTokens(target, JSON.stringify(format.schema));
  if (target.family === "anthropic" && (request.tools?.length || format?.type === "json_schema")) input += 346;
  const output = (request.maxOutputTokens ?? target.maxOutput) * (request.n ?? 1);
  const price = prices.lookup(target.model, costing.at)!;
  const inputPrice = g.cacheMarked && target.family === "anthropic" ? price.cacheWrite : price.input;
  return { tokens: input + output, nanos: Math.round((input * inputPrice + output * price.output) / 1000) };
}

// --- the generator ---

const text = fc.oneof(
  fc.lorem({ maxCount: 40 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(..."日本語の文章と中文句子한국어 문장"), maxLength: 200 }),
);
const media: fc.Arbitrary<Media> = fc.oneof(
  fc.record(
    { kind: fc.constant("image" as const), width: fc.integer({ min: 1, max: 3072 }), height: fc.integer({ min: 1, max: 3072 }), inline: fc.boolean() },
    { requiredKeys: ["kind", "width", "height", "inline"] },
  ),
  fc.record({
    kind: fc.constant("image" as const),
    width: fc.integer({ min: 1, max: 8000 }),
    height: fc.integer({ min: 1, max: 8000 }),
    detail: fc.constantFrom("low" as const, "high" as const, "auto" as const),
    inline: fc.constant(true),
  }),
  fc.record({ kind: fc.constant("wav" as const), seconds: fc.integer({ min: 1, max: 8 }), sampleRate: fc.constantFrom(8000, 16000) }),
  fc.record({ kind: fc.constant("mp3" as const), seconds: fc.integer({ min: 1, max: 30 }), kbps: fc.constantFrom(8, 32, 64, 128) }),
  fc.record({ kind: fc.constant("pdf" as const), pages: fc.integer({ min: 1, max: 6 }), shape: fc.constantFrom("anthropic" as const, "openai-file" as const) }),
);
const tool: fc.Arbitrary<ToolDefinition> = fc.record({ name: fc.stringMatching(/^[a-z_]{1,20}$/), description: text, parameters: simpleSchema });

const generated: fc.Arbitrary<Generated> = fc
  .record({
    turns: fc.array(
      fc.record({ role: fc.constantFrom("system" as const, "user" as const, "assistant" as const), text, media: fc.array(media, { maxLength: 2 }), document: fc.option(text, { nil: undefined }) }),
      { minLength: 1, maxLength: 4 },
    ),
    tools: fc.array(tool, { maxLength: 3 }),
    schema: fc.option(simpleSchema, { nil: undefined }),
    maxOutputTokens: fc.option(fc.integer({ min: 1, max: 8000 }), { nil: undefined }),
    n: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    cacheMarked: fc.boolean(),
  })
  .map(({ turns, tools, schema, maxOutputTokens, n, cacheMarked }) => {
    const texts: string[] = [];
    const allMedia: Media[] = [];
    const messages: Message[] = turns.map((turn) => {
      texts.push(turn.text);
      allMedia.push(...turn.media);
      const parts: ContentPart[] = [{ type: "text", text: turn.text }, ...turn.media.map(part)];
      if (turn.document !== undefined) {
        texts.push(turn.document);
        parts.push({ type: "other", raw: { type: "document", source: { type: "text", media_type: "text/plain", data: turn.document } } });
      }
      return { role: turn.role, content: parts };
    });
    const body = cacheMarked ? { messages: [{ role: "user", content: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }] }] } : {};
    const request: CanonicalRequest = {
      model: "m",
      messages,
      stream: false,
      includeUsage: false,
      ...(tools.length ? { tools } : {}),
      ...(schema ? { responseFormat: { type: "json_schema" as const, name: "answer", schema } } : {}),
      ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
      ...(n !== undefined ? { n } : {}),
      inbound: { api: cacheMarked ? "anthropic-messages" : "openai-chat", body },
    };
    return { request, media: allMedia, texts, cacheMarked };
  });

describe("the worst case a request reserves", () => {
  test("covers what every provider would bill, for every kind of input", () => {
    fc.assert(
      fc.property(generated, fc.constantFrom(...TARGETS), (g, target) => {
        const reserved = worstCase(costing, g.request, [target]);
        const billed = bill(target, g);
        expect(reserved.tokens).toBeGreaterThanOrEqual(billed.tokens);
        expect(reserved.usdNanos).toBeGreaterThanOrEqual(billed.nanos);
      }),
      { numRuns: 300 },
    );
  });

  test("a fallback route reserves its priciest target's worst case", () => {
    fc.assert(
      fc.property(generated, (g) => {
        const reserved = worstCase(costing, g.request, TARGETS);
        for (const target of TARGETS) expect(reserved.usdNanos).toBeGreaterThanOrEqual(bill(target, g).nanos);
      }),
      { numRuns: 50 },
    );
  });

  test("an embeddings request reserves its input only", () => {
    const request: CanonicalRequest = {
      model: "e",
      messages: [],
      stream: false,
      includeUsage: false,
      inbound: { api: "openai-embeddings", body: {} },
      embedding: { input: ["hello world", "and more"] },
    };
    const reserved = worstCase(costing, request, [{ provider: "oa", model: "text-embedding-3-small" }]);
    expect(reserved.tokens).toBeGreaterThanOrEqual(o200k("hello world") + o200k("and more"));
  });
});
