import { imageSize } from "image-size";

/**
 * How a provider bills media, by its own documented formula (docs/accounting.md#worst-case).
 * "other": a provider whose formula is not published (OpenAI-compatible servers): charged
 * the most any of the known formulas would charge.
 */
export type BillingFamily = "openai" | "anthropic" | "gemini" | "other";

export interface Dimensions {
  width: number;
  height: number;
}

/** OpenAI's tile formula: a base per image plus a price per 512 px tile of the resized image. */
interface TileRule {
  kind: "tile";
  base: number;
  tile: number;
}
/** OpenAI's patch formula (the smaller 4.1/5 models, o4-mini): 32 px patches, at most 1536, times a multiplier. */
interface PatchRule {
  kind: "patch";
  multiplier: number;
}

// Most specific name first; from OpenAI's vision guide.
const OPENAI_RULES: [RegExp, TileRule | PatchRule][] = [
  [/^gpt-4o-mini/, { kind: "tile", base: 2833, tile: 5667 }],
  [/^(gpt-4\.1-mini|gpt-5-mini)/, { kind: "patch", multiplier: 1.62 }],
  [/^(gpt-4\.1-nano|gpt-5-nano)/, { kind: "patch", multiplier: 2.46 }],
  [/^o4-mini/, { kind: "patch", multiplier: 1.72 }],
  [/^(o1|o3)/, { kind: "tile", base: 75, tile: 150 }],
  [/^gpt-5/, { kind: "tile", base: 70, tile: 140 }],
  [/^(gpt-4o|gpt-4\.1|gpt-4\.5|chatgpt-4o)/, { kind: "tile", base: 85, tile: 170 }],
];
/** An OpenAI model not in the list: the larger of the two formulas' usual maxima (4o-mini's price-scaled counts excluded). */
const OPENAI_UNKNOWN: PatchRule = { kind: "patch", multiplier: 2.46 };

const PATCH_LIMIT = 1536;
/** Anthropic scales an image down to about 1.15 megapixels: at most about 1600 tokens. */
const ANTHROPIC_IMAGE_MAX = 1600;
const GEMINI_TILE = 258;
/**
 * Gemini tiles any size, so an image the gateway cannot measure (a URL) has no published
 * bound: assumed at most 4 × 4 tiles (a 3072 px square). Documented as an assumption.
 */
const GEMINI_UNKNOWN_TILES = 16;

function openaiRule(model: string): TileRule | PatchRule {
  return OPENAI_RULES.find(([pattern]) => pattern.test(model))?.[1] ?? OPENAI_UNKNOWN;
}

function tileTokens(rule: TileRule, size: Dimensions | undefined, detail: string | undefined): number {
  if (detail === "low") return rule.base;
  // Unmeasured: the largest image after resizing, 768 × 2048, is 2 × 4 tiles.
  if (!size) return rule.base + rule.tile * 8;
  let { width: w, height: h } = size;
  // Fit within 2048 × 2048, then the shortest side down to 768.
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shortest = Math.min(1, 768 / Math.min(w, h));
  w *= shortest;
  h *= shortest;
  return rule.base + rule.tile * Math.ceil(w / 512) * Math.ceil(h / 512);
}

function patchTokens(rule: PatchRule, size: Dimensions | undefined): number {
  const patches = size ? Math.min(PATCH_LIMIT, Math.ceil(size.width / 32) * Math.ceil(size.height / 32)) : PATCH_LIMIT;
  return Math.ceil(patches * rule.multiplier);
}

function anthropicTokens(size: Dimensions | undefined): number {
  return size ? Math.min(ANTHROPIC_IMAGE_MAX, Math.ceil((size.width * size.height) / 750)) : ANTHROPIC_IMAGE_MAX;
}

function geminiTokens(size: Dimensions | undefined): number {
  if (!size) return GEMINI_UNKNOWN_TILES * GEMINI_TILE;
  const { width: w, height: h } = size;
  if (w <= 384 && h <= 384) return GEMINI_TILE;
  // Larger ones are cropped and scaled into 768 × 768 tiles, 258 tokens each.
  return Math.ceil(w / 768) * Math.ceil(h / 768) * GEMINI_TILE;
}

/** The most input tokens one image can be billed, by the target's formula; `size` undefined when the gateway cannot see it (a URL). */
export function imageTokens(family: BillingFamily, model: string, size: Dimensions | undefined, detail?: string): number {
  switch (family) {
    case "openai": {
      const rule = openaiRule(model);
      return rule.kind === "tile" ? tileTokens(rule, size, detail) : patchTokens(rule, size);
    }
    case "anthropic":
      return anthropicTokens(size);
    case "gemini":
      return geminiTokens(size);
    case "other":
      return Math.max(tileTokens({ kind: "tile", base: 85, tile: 170 }, size, undefined), patchTokens(OPENAI_UNKNOWN, size), anthropicTokens(size), geminiTokens(size));
  }
}

/** Audio: OpenAI bills 10 tokens a second (1 per 100 ms), Gemini 32; Anthropic takes none (charged as "other" if sent). */
const AUDIO_TOKENS_PER_SECOND: Record<BillingFamily, number> = { openai: 10, anthropic: 32, gemini: 32, other: 32 };
/** A compressed format's length says little: assumed no denser than 8 kbit/s (1000 bytes a second), the lowest common speech bitrate. */
const MIN_AUDIO_BYTES_PER_SECOND = 1000;

/** The most tokens an audio clip of `bytes` bytes can be billed: its duration (exact for WAV, from `head`, else bounded by its size) times the family's rate. */
export function audioTokens(family: BillingFamily, head: Buffer, bytes: number): number {
  return Math.ceil(audioSeconds(head, bytes) * AUDIO_TOKENS_PER_SECOND[family]);
}

function audioSeconds(head: Buffer, bytes: number): number {
  if (head.length >= 32 && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WAVE") {
    const byteRate = head.readUInt32LE(28);
    if (byteRate > 0) return Math.max(1, bytes / byteRate);
  }
  return Math.max(1, bytes / MIN_AUDIO_BYTES_PER_SECOND);
}

/**
 * A PDF: each page billed as its text (at most 3000 tokens a page, Anthropic's documented
 * upper figure) plus the page as an image (unmeasured) for OpenAI and Anthropic; Gemini bills
 * 258 a page. Pages are counted from the page objects; a PDF whose objects are compressed
 * (object streams) is bounded by its size instead (at least 1500 bytes a page).
 */
export function pdfTokens(family: BillingFamily, model: string, bytes: Buffer): number {
  const pages = pdfPages(bytes);
  const perPage = family === "gemini" ? GEMINI_TILE : 3000 + imageTokens(family, model, undefined);
  return pages * perPage;
}

const PAGE_OBJECT = /\/Type\s*\/Page(?![a-zA-Z])/g;

function pdfPages(bytes: Buffer): number {
  const text = bytes.toString("latin1");
  const counted = text.match(PAGE_OBJECT)?.length ?? 0;
  const bySize = Math.ceil(bytes.length / 1500);
  return text.includes("/ObjStm") ? Math.max(counted, bySize) : Math.max(1, counted);
}

/** The pixel size of an image given as bytes; undefined when it is not an image format the library knows. */
export function measureImage(bytes: Buffer): Dimensions | undefined {
  try {
    const { width, height } = imageSize(bytes);
    return width && height ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}
