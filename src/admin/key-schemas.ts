import { z } from "zod";

/** Same shape as request tags (`x-tollgate-tags`), so key tags can name tag budgets. */
const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_TAGS = 16;
const MAX_METADATA_BYTES = 16 * 1024;
/** Nano-dollar counters stay exact integers well below 2^53. */
const MAX_BUDGET_USD = 9_000_000;

export const id = (what: string) => z.string().trim().min(1, `${what} must not be empty`).max(256, `${what} is at most 256 characters`);

export const tags = z.record(z.string(), z.string()).superRefine((value, ctx) => {
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS) ctx.addIssue({ code: "custom", message: `at most ${MAX_TAGS} tags` });
  for (const [name, v] of entries) {
    if (!TAG.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `tag name "${name.slice(0, 80)}" must be 1-64 of [A-Za-z0-9_.:-]` });
    else if (!TAG.test(v)) ctx.addIssue({ code: "custom", path: [name], message: "tag value must be 1-64 of [A-Za-z0-9_.:-]" });
  }
});

const metadata = z.record(z.string(), z.unknown()).refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES, {
  message: `at most ${MAX_METADATA_BYTES} bytes as JSON`,
});

const budgetSchema = z
  .strictObject({
    period: z.enum(["hour", "day", "month", "total"]),
    usd: z.number().positive().max(MAX_BUDGET_USD).optional(),
    tokens: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((b) => b.usd !== undefined || b.tokens !== undefined, { message: "a budget sets usd, tokens, or both" });

export const limitsSchema = z.strictObject({
  budgets: z.array(budgetSchema).max(16).optional(),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
});

export const allowedModels = z.array(z.string().min(1)).max(256);
/** A browser origin as the Origin header carries it: scheme, host and port, nothing after. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const allowedOrigins = z.array(z.string().regex(ORIGIN, "an origin is scheme://host[:port], without a path")).max(64);
/** ISO 8601; checked and converted by the handler (see time.ts). */
const instant = z.string().min(1);

export const createKeySchema = z.strictObject({
  user_id: id("user_id"),
  name: id("name").optional(),
  team_id: id("team_id").optional(),
  allowed_models: allowedModels.optional(),
  allowed_origins: allowedOrigins.optional(),
  tags: tags.optional(),
  metadata: metadata.optional(),
  limits: limitsSchema.optional(),
  expires_at: instant.optional(),
});

/** Absent: unchanged; null: cleared (no name, no team, every model, no expiry, empty tags, metadata and limits). */
export const updateKeySchema = z.strictObject({
  name: id("name").nullable().optional(),
  team_id: id("team_id").nullable().optional(),
  allowed_models: allowedModels.nullable().optional(),
  allowed_origins: allowedOrigins.nullable().optional(),
  tags: tags.nullable().optional(),
  metadata: metadata.nullable().optional(),
  limits: limitsSchema.nullable().optional(),
  expires_at: instant.nullable().optional(),
});

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

export const listKeysQuery = z.strictObject({
  user_id: z.string().min(1).optional(),
  team_id: z.string().min(1).optional(),
  include_revoked: bool.optional(),
});
