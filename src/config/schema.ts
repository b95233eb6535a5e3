import { z } from "zod";
import { httpToolSchema, mcpServerSchema, toolLoopSchema, toolResultsSchema } from "../tools/config-schema.js";
import { secretRef } from "./secret-ref.js";

export { secretRef, type SecretRef } from "./secret-ref.js";

const ms = z.number().int().nonnegative();

export const timeoutsSchema = z.strictObject({
  /** TCP/TLS connect. */
  connectMs: ms.optional(),
  /** Request sent until response headers. */
  headersMs: ms.optional(),
  /** Request sent until the first streamed event (or the whole body when not streaming). */
  firstTokenMs: ms.optional(),
  /** Longest gap between two streamed events. */
  idleMs: ms.optional(),
  /** Whole attempt, first byte to last. */
  totalMs: ms.optional(),
});

export const retrySchema = z.strictObject({
  maxRetries: z.number().int().min(0).max(10).optional(),
  baseDelayMs: ms.optional(),
  maxDelayMs: ms.optional(),
  /** Longest upstream Retry-After Tollgate will wait; beyond it the target is skipped. */
  maxRetryAfterMs: ms.optional(),
});

export const breakerSchema = z.strictObject({
  failureThreshold: z.number().int().min(1).optional(),
  cooldownMs: ms.optional(),
});

const headersSchema = z.record(z.string(), secretRef);

const openaiProvider = z.strictObject({
  type: z.literal("openai"),
  baseURL: z.url().default("https://api.openai.com/v1"),
  apiKey: secretRef.optional(),
  organization: z.string().optional(),
  headers: headersSchema.optional(),
  /** Which OpenAI API to call: Chat Completions (/chat/completions) or Responses (/responses). */
  api: z.enum(["chat", "responses"]).default("chat"),
});

export const compatiblePresets = ["deepseek", "mistral", "xai", "groq", "together", "ollama", "vllm", "llamacpp"] as const;

const compatibleProvider = z.strictObject({
  type: z.literal("openai-compatible"),
  preset: z.enum(compatiblePresets).optional(),
  baseURL: z.url().optional(),
  apiKey: secretRef.optional(),
  headers: headersSchema.optional(),
  /** Whether the server accepts stream_options.include_usage (most do; the preset knows). */
  streamUsageOption: z.boolean().optional(),
});

export const faultSchema = z.strictObject({
  kind: z.enum(["status", "hang", "stall", "cut", "malformed"]),
  /** For kind "status". */
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().nonnegative().optional(),
  /** For stall, cut and malformed: how many content tokens stream first. */
  afterTokens: z.number().int().nonnegative().optional(),
  /** Misbehave only on the first N calls, then answer normally. */
  times: z.number().int().positive().optional(),
});

const anthropicProvider = z.strictObject({
  type: z.literal("anthropic"),
  baseURL: z.url().default("https://api.anthropic.com/v1"),
  apiKey: secretRef.optional(),
  /** The `anthropic-version` header. */
  version: z.string().min(1).default("2023-06-01"),
  headers: headersSchema.optional(),
  /** max_tokens for requests that set none (the Messages API requires it). */
  defaultMaxTokens: z.number().int().positive().default(4096),
});

const googleProvider = z.strictObject({
  type: z.literal("google"),
  baseURL: z.url().default("https://generativelanguage.googleapis.com/v1beta"),
  /** Sent as `x-goog-api-key`, never in the URL. */
  apiKey: secretRef,
  headers: headersSchema.optional(),
});

const azureOpenAIProvider = z.strictObject({
  type: z.literal("azure-openai"),
  /** https://NAME.openai.azure.com */
  endpoint: z.url(),
  /** Sent as `api-key`. */
  apiKey: secretRef,
  apiVersion: z.string().min(1).default("2024-10-21"),
  /** Deployment name per model name used in targets; a model not listed is its own deployment. */
  deployments: z.record(z.string().min(1), z.string().min(1)).optional(),
  headers: headersSchema.optional(),
});

const simulatorProvider = z.strictObject({
  type: z.literal("simulator"),
  ttftMs: ms.default(150),
  tokensPerSecond: z.number().positive().default(80),
  /** Length of an answer when the request sets no max tokens. */
  answerTokens: z.number().int().positive().default(120),
  fault: faultSchema.optional(),
});

export const providerSchema = z.discriminatedUnion("type", [openaiProvider, compatibleProvider, anthropicProvider, googleProvider, azureOpenAIProvider, simulatorProvider]);

export const targetSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
});

export const routeSchema = z.strictObject({
  description: z.string().optional(),
  targets: z.array(targetSchema).min(1),
  timeouts: timeoutsSchema.optional(),
  retry: retrySchema.optional(),
  breaker: breakerSchema.optional(),
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  /** Server-side tools this route may run: names from `tools`, "mcp:<server>/<tool>", or library function tools (docs/tools.md). */
  tools: z.array(z.string().min(1)).optional(),
  toolLoop: toolLoopSchema.optional(),
});

const priceInput = z.strictObject({
  /** Date the price took effect (YYYY-MM-DD); history before it keeps the older price. */
  from: z.iso.date().optional(),
  /** USD per 1M tokens. */
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

export const budgetRuleSchema = z
  .strictObject({
    scope: z.enum(["key", "user", "team", "tag"]),
    /** The subject: a key id, user id, team id or "name=value" tag; "*" gives each its own budget. */
    id: z.string().min(1).default("*"),
    period: z.enum(["minute", "hour", "day", "month", "total"]),
    usd: z.number().positive().optional(),
    tokens: z.number().int().positive().optional(),
    requests: z.number().int().positive().optional(),
  })
  .refine((r) => [r.usd, r.tokens, r.requests].filter((v) => v !== undefined).length === 1, { message: "A budget rule sets exactly one of usd, tokens or requests." });

export const configSchema = z
  .strictObject({
    /** SQLite (`sqlite:PATH`) by default; `postgres://...` for many instances. DATABASE_URL when unset. */
    database: z.strictObject({ url: secretRef.optional() }).prefault({}),
    /** Shared budget counters for many instances. REDIS_URL when unset; in-memory when neither. */
    redis: z.strictObject({ url: secretRef.optional(), keyPrefix: z.string().regex(/^[A-Za-z0-9:_-]+$/).default("tollgate") }).prefault({}),
    admin: z.strictObject({ keys: z.array(secretRef).default([]) }).prefault({}),
    budgets: z
      .strictObject({
        /** When the shared store is unreachable: refuse requests, or enforce limits per instance. */
        onStoreFailure: z.enum(["closed", "open"]).default("closed"),
        /** Longest wait for the shared store before it counts as unreachable. */
        storeTimeoutMs: z.number().int().positive().default(2_000),
        /** An unsettled reservation (a crashed instance) is released after this long. */
        reservationTtlMs: z.number().int().positive().default(600_000),
        /** Worst-case output reserved when neither the request nor the route sets max tokens. */
        defaultMaxOutputTokens: z.number().int().positive().default(4096),
        rules: z.array(budgetRuleSchema).default([]),
      })
      .prefault({}),
    prices: z.record(z.string().min(1), z.union([priceInput, z.array(priceInput).min(1)])).default({}),
    ledger: z
      .strictObject({
        batchSize: z.number().int().positive().default(200),
        flushIntervalMs: z.number().int().positive().default(200),
        /** Where rows wait, in order, while the database is unreachable. */
        spoolDir: z.string().default(".tollgate/spool"),
      })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8787),
        bodyLimitBytes: z.number().int().positive().default(4 * 1024 * 1024),
        heartbeatMs: z.number().int().positive().default(15_000),
        drainTimeoutMs: ms.default(30_000),
      })
      .prefault({}),
    auth: z
      .strictObject({
        /** Client keys accepted as `Authorization: Bearer <key>` or `x-api-key: <key>`. None: open, for local development only. */
        keys: z.array(secretRef).default([]),
      })
      .prefault({}),
    defaults: z
      .strictObject({
        timeouts: timeoutsSchema.prefault({}),
        retry: retrySchema.prefault({}),
        breaker: breakerSchema.prefault({}),
      })
      .prefault({}),
    providers: z.record(z.string().min(1), providerSchema),
    models: z.record(z.string().min(1), routeSchema),
    /** Server-side tools by name (the name the model sees: letters, digits, _ and -). */
    tools: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), httpToolSchema).default({}),
    mcpServers: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), mcpServerSchema).default({}),
    toolResults: toolResultsSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const [route, def] of Object.entries(config.models)) {
      def.targets.forEach((target, i) => {
        if (!(target.provider in config.providers)) {
          ctx.addIssue({ code: "custom", path: ["models", route, "targets", i, "provider"], message: `Unknown provider "${target.provider}"; defined: ${Object.keys(config.providers).join(", ") || "none"}.` });
        }
      });
    }
    for (const [name, provider] of Object.entries(config.providers)) {
      if (provider.type === "openai-compatible" && !provider.baseURL && !provider.preset) {
        ctx.addIssue({ code: "custom", path: ["providers", name, "baseURL"], message: "openai-compatible needs a baseURL or a preset." });
      }
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type FaultConfig = z.output<typeof faultSchema>;
export type TimeoutsConfig = z.output<typeof timeoutsSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type BreakerConfig = z.output<typeof breakerSchema>;
export type PriceConfig = z.output<typeof priceInput>;

/** A typed identity for `tollgate.config.*` files and library users. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
