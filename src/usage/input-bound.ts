import type { CanonicalRequest, ContentPart } from "../spec/canonical-request.js";
import { countEmbeddingTokens } from "./embedding-tokens.js";
import { audioTokens, imageTokens, measureImage, pdfTokens, type BillingFamily, type Dimensions } from "./media-tokens.js";
import { countMessageTokens, countTextTokens } from "./tokenizer.js";

/** Who bills a call: the formula family of its provider and the model (docs/accounting.md#worst-case). */
export interface BillingTarget {
  family: BillingFamily;
  model: string;
}

export function billingTarget(providerType: string, model: string): BillingTarget {
  const family: BillingFamily =
    providerType === "anthropic"
      ? "anthropic"
      : providerType === "google"
        ? "gemini"
        : providerType === "openai" || providerType === "azure-openai" || providerType === "simulator"
          ? "openai"
          : "other";
  return { family, model };
}

/** OpenAI models that count with o200k, the gateway's tokenizer: their text is counted exactly. */
const O200K_MODELS = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss)/;
/**
 * Other tokenizers (Claude's, Gemini's, Llama's, older OpenAI ones) are not the gateway's: their
 * count of a text is bounded as 1.5 × its o200k count (Claude, Gemini and the 128k-vocabulary
 * open models measure within 1.1–1.3× of o200k on English and code).
 */
const FOREIGN_TEXT_FACTOR = 1.5;
/** OpenAI's framing of each function definition and of the tool block. */
const PER_TOOL = 8;
const TOOL_BLOCK = 12;
/** Anthropic's tool-use system prompt, added to any request with tools (its docs: 313–346). */
const ANTHROPIC_TOOL_PROMPT = 346;

type Media = { kind: "image"; size?: Dimensions; detail?: string } | { kind: "audio"; head: Buffer; bytes: number } | { kind: "pdf"; bytes: Buffer };

/** What every target's bound is computed from: the text's o200k tokens and the media, found once per request. */
interface InputParts {
  textTokens: number;
  media: Media[];
  withTools: boolean;
}

const parts = new WeakMap<CanonicalRequest, InputParts>();

/**
 * The most input tokens `target` can bill for `request`: every message's text, tool
 * definitions, the response schema, images by the target's own formula, audio and
 * documents, whether the API carries them as known fields or as opaque parts.
 */
export function inputTokenBound(request: CanonicalRequest, target: BillingTarget): number {
  let found = parts.get(request);
  if (!found) {
    found = inputParts(request);
    parts.set(request, found);
  }
  const exact = target.family === "openai" && O200K_MODELS.test(target.model);
  let total = exact ? found.textTokens : Math.ceil(found.textTokens * FOREIGN_TEXT_FACTOR);
  if (found.withTools && target.family !== "openai") total += ANTHROPIC_TOOL_PROMPT;
  for (const media of found.media) total += mediaTokens(media, target);
  return total;
}

function mediaTokens(media: Media, target: BillingTarget): number {
  if (media.kind === "image") return imageTokens(target.family, target.model, media.size, media.detail);
  if (media.kind === "pdf") return pdfTokens(target.family, target.model, media.bytes);
  return audioTokens(target.family, media.head, media.bytes);
}

function inputParts(request: CanonicalRequest): InputParts {
  if (request.embedding) return { textTokens: countEmbeddingTokens(request.embedding.input), media: [], withTools: false };
  let textTokens = countMessageTokens(request.messages);
  const media: Media[] = [];
  const strings = (value: unknown) => {
    textTokens += walk(value, media);
  };
  for (const message of request.messages) {
    if (typeof message.content === "string" || !message.content) continue;
    for (const part of message.content) {
      if (part.type === "image") media.push(imagePart(part));
      else if (part.type === "other") strings(part.raw);
    }
  }
  const tools = request.tools ?? [];
  for (const tool of tools) textTokens += countTextTokens(JSON.stringify(tool)) + PER_TOOL;
  if (tools.length > 0) textTokens += TOOL_BLOCK;
  const format = request.responseFormat;
  if (format?.type === "json_schema") textTokens += countTextTokens(JSON.stringify(format.schema)) + countTextTokens(format.name) + TOOL_BLOCK;
  return { textTokens, media, withTools: tools.length > 0 || format?.type === "json_schema" };
}

function imagePart(part: Extract<ContentPart, { type: "image" }>): Media {
  const data = dataUrl(part.url);
  const size = data?.mime.startsWith("image/") ? measureImage(decodeHead(data.base64, 512 * 1024)) : undefined;
  return { kind: "image", ...(size ? { size } : {}), ...(part.detail ? { detail: part.detail } : {}) };
}

const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?,/;

function dataUrl(text: string): { mime: string; base64: string } | undefined {
  const match = DATA_URL.exec(text.slice(0, 200));
  return match ? { mime: (match[1] ?? "").toLowerCase(), base64: text.slice(match[0].length) } : undefined;
}

/** The first bytes of a base64 payload (enough for an image's or a WAV's header), without decoding the rest. */
function decodeHead(base64: string, bytes: number): Buffer {
  return Buffer.from(base64.slice(0, Math.ceil(bytes / 3) * 4), "base64");
}

/** Media in an opaque part, by its MIME type: an image, audio or a PDF; anything else counts as text. */
function mediaOf(mime: string, base64: string): Media | undefined {
  if (mime.startsWith("image/")) {
    const size = measureImage(decodeHead(base64, 512 * 1024));
    return size ? { kind: "image", size } : { kind: "image" };
  }
  if (mime.startsWith("audio/") || ["wav", "mp3", "flac", "opus", "pcm16", "aac", "ogg", "webm", "m4a"].includes(mime))
    return { kind: "audio", head: decodeHead(base64, 64), bytes: Math.floor((base64.length * 3) / 4) };
  if (mime === "application/pdf" || mime === "pdf") return { kind: "pdf", bytes: Buffer.from(base64, "base64") };
  return undefined;
}

/**
 * An opaque part of any API (an audio clip, a document, a file, a block only one provider
 * knows): media found by MIME type (a data URL, or `data` beside a `media_type`/`format`),
 * every other string counted as text. Returns the text tokens; pushes the media.
 */
function walk(value: unknown, media: Media[]): number {
  if (typeof value === "string") {
    const data = dataUrl(value);
    const found = data && mediaOf(data.mime, data.base64);
    if (found) {
      media.push(found);
      return 0;
    }
    return countTextTokens(value);
  }
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + walk(v, media), 0);
  if (value === null || typeof value !== "object") return 0;
  const object = value as Record<string, unknown>;
  const mime = typeof object.media_type === "string" ? object.media_type : typeof object.format === "string" ? object.format : undefined;
  let tokens = 0;
  for (const [key, v] of Object.entries(object)) {
    const found = key === "data" && typeof v === "string" && mime ? mediaOf(mime.toLowerCase(), v) : undefined;
    if (found) media.push(found);
    else tokens += walk(v, media);
  }
  return tokens;
}
