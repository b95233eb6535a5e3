import { z } from "zod";
import { adminSchema } from "./admin-schema.js";
import { alertsSchema } from "./alerts-schema.js";
import { budgetsSchema } from "./budgets-schema.js";
import { bedrockProvider, vertexProvider } from "./cloud-providers.js";
import { secretRef } from "./secret-ref.js";
import { httpToolSchema, mcpServerSchema, toolLoopSchema, toolResultsSchema } from "./tools-schema.js";

export type { SecretRef } from "./secret-ref.js";

const ms = z.number().int().nonnegative();

/** The same fields with no defaults, all optional: a route's overrides of `defaults` (only what it sets). */
type Overrides<T extends z.core.$ZodShape> = { [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer Inner> ? Inner : T[K]> };
function overridesOf<T extends z.core.$ZodShape>(schema: z.ZodObject<T>): z.ZodObject<Overrides<T>, z.core.$strict> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional()]));
  return z.strictObject(shape) as unknown as z.ZodObject<Overrides<T>, z.core.$strict>;
}

const timeoutsSchema = z.strictObject({
  /** TCP/TLS connect. */
  connectMs: ms.default(10_000),
  /** Request sent until response headers. */
  headersMs: ms.default(30_000),
  /** Request sent until the first streamed event (or the whole body when not streaming). */
  firstTokenMs: ms.default(60_000),
  /** Longest gap between two streamed events. */
  idleMs: ms.default(30_000),
  /** Whole attempt, first byte to last. */
  totalMs: ms.default(600_000),
});

const retrySchema = z.strictObject({
  maxRetries: z.number().int().min(0).max(10).default(2),
  baseDelayMs: ms.default(250),
  maxDelayMs: ms.default(8_000),
  /** Longest upstream Retry-After Tollgate will wait; beyond it the target is skipped. */
  maxRetryAfterMs: ms.default(20_000),
});

const breakerSchema = z.strictObject({
  failureThreshold: z.number().int().min(1).default(5),
  cooldownMs: ms.default(30_000),
});

const headersSchema = z.record(z.string(), secretRef);

/**
 * The header in which this upstream accepts an idempotency key (e.g. "Idempotency-Key"), for
 * upstreams that honour one (another Tollgate does); none of the built-in providers documents
 * one, so none is sent unless set (docs/caching.md#idempotency-key).
 */
const idempotencyHeader = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "an HTTP header name")
  .optional();

const openaiProvider = z.strictObject({
  type: z.literal("openai"),
  baseURL: z.url().default("https://api.openai.com/v1"),
  apiKey: secretRef.optional(),
  organization: z.string().optional(),
  headers: headersSchema.optional(),
  idempotencyHeader,
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
  idempotencyHeader,
  /** Whether the server accepts stream_options.include_usage (most do; the preset knows). */
  streamUsageOption: z.boolean().optional(),
  /** Whether the server takes `response_format: {type: "json_schema"}` (the preset knows; else JSON mode plus the schema in an instruction). */
  jsonSchema: z.boolean().optional(),
});

const faultSchema = z.strictObject({
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
  idempotencyHeader,
  /** max_tokens for requests that set none (the Messages API requires it). */
  defaultMaxTokens: z.number().int().positive().default(4096),
});

const googleProvider = z.strictObject({
  type: z.literal("google"),
  baseURL: z.url().default("https://generativelanguage.googleapis.com/v1beta"),
  /** Sent as `x-goog-api-key`, never in the URL. */
  apiKey: secretRef,
  headers: headersSchema.optional(),
  idempotencyHeader,
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
  idempotencyHeader,
});

const simulatorProvider = z.strictObject({
  type: z.literal("simulator"),
  /** Wait before the first token; none unless configured. */
  ttftMs: ms.default(0),
  /** Pace of streamed tokens; unpaced (as fast as the host allows) unless configured. */
  tokensPerSecond: z.number().positive().optional(),
  /** A fixed length for every answer (tests, benchmarks); unset, each prompt draws its own natural length. */
  answerTokens: z.number().int().positive().optional(),
  fault: faultSchema.optional(),
});

const providerSchema = z.discriminatedUnion("type", [openaiProvider, compatibleProvider, anthropicProvider, googleProvider, azureOpenAIProvider, simulatorProvider, bedrockProvider, vertexProvider]);

const targetSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
});

/** How long an answer is served from the cache, at most a year. */
const ttlMs = z
  .number()
  .int()
  .positive()
  .max(365 * 86_400_000);

/** Per route, off unless configured (docs/caching.md). */
const routeCacheSchema = z.strictObject({
  /** Serve an identical request (same tenant, route, messages and output-shaping parameters) from the cache. */
  exact: z.strictObject({ ttlMs }).optional(),
  /** Serve a request whose last user turn means nearly the same, for the same tenant, route and context. */
  semantic: z
    .strictObject({
      /** A route whose targets are embedding models; the last user turn is embedded through it. */
      embeddingRoute: z.string().min(1),
      /** Cosine similarity at or above which a cached answer is served. */
      threshold: z.number().gt(0).max(1).default(0.95),
      ttlMs,
      /** Requests sampling hotter than this never use the semantic cache. */
      maxTemperature: z.number().min(0).max(2).default(0.3),
      /** Whether requests that declare tools may use it. */
      allowTools: z.boolean().default(false),
    })
    .optional(),
});

/** `logBodies: true` is this with its defaults. */
export const logBodiesSchema = z.strictObject({ maxChars: z.number().int().positive().default(2_000) });

const routeSchema = z.strictObject({
  description: z.string().optional(),
  /** Other model names this route answers: exact names, or patterns with `*` ("claude-*"); the most specific match wins. */
  aliases: z.array(z.string().min(1)).optional(),
  /** A built-in tool (web search, code execution, ...) a translating target cannot run: refuse the request (400), or drop the tool and name it in `x-tollgate-dropped`. */
  unsupportedTools: z.enum(["refuse", "drop"]).default("refuse"),
  cache: routeCacheSchema.optional(),
  targets: z.array(targetSchema).min(1),
  /** Overrides of `defaults.timeouts`, `defaults.retry` and `defaults.breaker` for this route. */
  timeouts: overridesOf(timeoutsSchema).optional(),
  retry: overridesOf(retrySchema).optional(),
  breaker: overridesOf(breakerSchema).optional(),
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  /** Requests with a JSON Schema: how often an invalid answer is sent back for repair per target (docs/structured-output.md). */
  structuredOutput: z.strictObject({ repairAttempts: z.number().int().min(0).max(5).default(2) }).prefault({}),
  /** A system prompt the route puts first in every request (docs/structured-output.md#pinned-system-prompts). */
  systemPrompt: z
    .strictObject({
      text: z.string().min(1),
      /** "pin": always first, whatever the client sends; "default": only when the client sends no system prompt. */
      mode: z.enum(["pin", "default"]).default("pin"),
      /** A pinned route's answer to the client's own system prompt: kept after the pinned one, or refused (400). */
      clientSystem: z.enum(["after", "refuse"]).default("after"),
    })
    .optional(),
  /** Puts the prompt and completion, truncated, on this route's request log lines (off by default: they may hold personal data). */
  logBodies: z.union([z.boolean(), logBodiesSchema]).optional(),
  /** Server-side tools this route may run: names from `tools`, "mcp:<server>/<tool>", or library function tools (docs/tools.md). */
  tools: z.array(z.string().min(1)).optional(),
  toolLoop: toolLoopSchema.optional(),
});

export const priceInput = z.strictObject({
  /** Date the price took effect (YYYY-MM-DD); history before it keeps the older price. */
  from: z.iso.date().optional(),
  /** USD per 1M tokens. */
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
  /** The most output tokens one call can produce (reasoning included): reserved when a request sets no max_tokens. */
  maxOutput: z.number().int().nonnegative().optional(),
});

const observabilitySchema = z.strictObject({
  logs: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      /**
       * Lines (to stderr) are written together once this many bytes are pending, or 100 ms after
       * the first: a process killed with SIGKILL loses up to that much of its last lines (exit,
       * shutdown and a fatal line write them first). 0: each line is written at once.
       */
      bufferBytes: z.number().int().nonnegative().default(4096),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Serves GET /metrics (Prometheus text). */
      enabled: z.boolean().default(true),
      /** "admin": /metrics needs `Authorization: Bearer <admin key>`. */
      auth: z.enum(["none", "admin"]).default("none"),
      /** Also the Node process metrics (CPU, memory, event loop lag, GC) of prom-client. */
      process: z.boolean().default(false),
    })
    .prefault({}),
  traces: z
    .strictObject({
      /** OTLP/HTTP (JSON) traces endpoint, e.g. http://collector:4318/v1/traces. None: tracing is off. */
      endpoint: z.url().optional(),
      headers: z.record(z.string(), secretRef).optional(),
      serviceName: z.string().min(1).default("tollgate"),
      /** Share of requests traced when the caller sent no sampled parent. */
      sampleRatio: z.number().min(0).max(1).default(1),
    })
    .prefault({}),
});

export const configSchema = z
  .strictObject({
    /** SQLite (`sqlite:PATH`) by default; `postgres://...` for many instances. DATABASE_URL when unset. */
    database: z.strictObject({ url: secretRef.optional() }).prefault({}),
    /** Shared budget counters for many instances. REDIS_URL when unset; in-memory when neither. */
    redis: z
      .strictObject({
        url: secretRef.optional(),
        keyPrefix: z
          .string()
          .regex(/^[A-Za-z0-9:_-]+$/)
          .default("tollgate"),
      })
      .prefault({}),
    admin: adminSchema,
    budgets: budgetsSchema.prefault({}),
    prices: z.record(z.string().min(1), z.union([priceInput, z.array(priceInput).min(1)])).default({}),
    /** Idempotency-Key (docs/caching.md#idempotency-key). */
    idempotency: z
      .strictObject({
        /** How long a completed answer is replayed for its key. */
        retentionMs: z.number().int().positive().default(86_400_000),
        /** A duplicate that arrives while the first request runs: wait for its answer, or get 409 at once. */
        onConcurrent: z.enum(["wait", "conflict"]).default("wait"),
        /** Longest wait of a duplicate before it gets 409 idempotency_in_progress. */
        waitTimeoutMs: ms.default(60_000),
        /** The running request's hold on its key, renewed while it runs: an instance that dies frees its keys after this long. */
        leaseMs: z.number().int().min(100).default(30_000),
        /** Where keys live: Redis when redis.url is set, else the gateway's database; "memory" for one process. */
        store: z.enum(["memory", "database", "redis"]).optional(),
        /** Whose keys share a namespace: each API key's own (default), or its team's. */
        scope: z.enum(["key", "team"]).default("key"),
      })
      .prefault({}),
    ledger: z
      .strictObject({
        batchSize: z.number().int().positive().default(200),
        flushIntervalMs: z.number().int().positive().default(200),
        /** The ledger journal: every record until it is in the database (the outage spool too), and requests in flight; one instance per directory. */
        spoolDir: z.string().default(".tollgate/spool"),
        /** Days kept: raw rows (requests, attempts, tags, tool calls), and the hourly rollups reports read. Unset: kept. */
        retention: z.strictObject({ rawDays: z.number().int().positive().optional(), rollupDays: z.number().int().positive().optional() }).prefault({}),
        /** How often rollups of hours with new rows are recomputed, partitions made ahead, old rows moved into them and retention applied. */
        maintenanceIntervalMs: z.number().int().positive().default(60_000),
      })
      .prefault({}),
    cache: z
      .strictObject({
        /** Where answers are kept: the gateway's database when it is SQLite (the default then; memory when it is Postgres), or Redis for many instances. */
        store: z.enum(["memory", "database", "redis"]).optional(),
        /** Whose answers a request may be served: its key's team (else the key), key, user, or everyone. */
        scope: z.enum(["team", "key", "user", "global"]).default("team"),
        /** The memory store's bound on what it holds (least recently used entries go first). */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        /** Answers larger than this are not stored. */
        maxEntryBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** The sqlite-vec file of the semantic cache's vectors (":memory:" keeps them per process). */
        vectorPath: z.string().min(1).default(":memory:"),
        /** How often expired entries are deleted from the SQLite store and the vector index. */
        purgeIntervalMs: z.number().int().positive().default(60_000),
        /** Longest wait for the store on a lookup or a write; past it the request goes on as a miss. */
        storeTimeoutMs: z.number().int().positive().default(500),
      })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8787),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024),
        /** Request headers must arrive within this (standalone server). */
        headersTimeoutMs: ms.default(10_000),
        /** A request body must arrive whole within this, or 408. */
        bodyTimeoutMs: ms.default(30_000),
        /** Request body bytes buffered at once across all requests; beyond it, 503 until some finish. */
        bodyBytesInFlight: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024),
        /** Connections that have not yet sent a request's headers (standalone server); more are closed at once. */
        maxPendingConnections: z.number().int().positive().default(1024),
        heartbeatMs: z.number().int().positive().default(15_000),
        drainTimeoutMs: ms.default(30_000),
        /** Serves every path under this prefix too (`/llm` → `/llm/v1/chat/completions`), for a gateway behind a path-routing proxy. */
        basePath: z
          .string()
          .regex(/^(\/[A-Za-z0-9._~-]+)+$/, "a path like /llm: a leading slash, no trailing one")
          .optional(),
        cors: z
          .strictObject({
            /** Browser origins that may call the gateway (`https://app.example.com`), or "*" for any; keys may add their own (`allowed_origins`). */
            origins: z.array(z.string().regex(/^\*$|^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port], or "*"')).default([]),
          })
          .prefault({}),
      })
      .prefault({}),
    observability: observabilitySchema.prefault({}),
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
    /** Routes by the model name clients ask for (`models:` before 0.N; still read, with a warning). */
    routes: z.record(z.string().min(1), routeSchema),
    /** Server-side tools by name (the name the model sees: letters, digits, _ and -). */
    tools: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), httpToolSchema).default({}),
    mcpServers: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), mcpServerSchema).default({}),
    toolResults: toolResultsSchema.prefault({}),
    /** Alert rules and the webhooks they go to (docs/alerts.md). */
    alerts: alertsSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const [route, def] of Object.entries(config.routes)) {
      def.targets.forEach((target, i) => {
        if (!(target.provider in config.providers)) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", route, "targets", i, "provider"],
            message: `Unknown provider "${target.provider}"; defined: ${Object.keys(config.providers).join(", ") || "none"}.`,
          });
        }
      });
    }
    for (const [route, def] of Object.entries(config.routes)) {
      const embeddingRoute = def.cache?.semantic?.embeddingRoute;
      if (embeddingRoute !== undefined && !Object.hasOwn(config.routes, embeddingRoute)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", route, "cache", "semantic", "embeddingRoute"],
          message: `Unknown route "${embeddingRoute}"; defined: ${Object.keys(config.routes).join(", ")}.`,
        });
      }
    }
    for (const [name, provider] of Object.entries(config.providers)) {
      if (provider.type === "openai-compatible" && !provider.baseURL && !provider.preset) {
        ctx.addIssue({ code: "custom", path: ["providers", name, "baseURL"], message: "openai-compatible needs a baseURL or a preset." });
      }
    }
  });

type Input = z.input<typeof configSchema>;
type RouteInput = Input["routes"][string];
type RouteCacheInput = NonNullable<RouteInput["cache"]>;
type IdempotencyInput = NonNullable<Input["idempotency"]>;
type CacheInput = NonNullable<Input["cache"]>;

// The old names (deprecated-names.ts) are typed too, so that a TypeScript config keeps compiling for one minor version.
type WithOldTtl<T> = Omit<T, "ttlMs"> & ({ ttlMs: number; ttlSeconds?: never } | { /** @deprecated Use `ttlMs`. */ ttlSeconds: number; ttlMs?: never });
type RouteWithOldNames = Omit<RouteInput, "cache"> & {
  cache?: { exact?: WithOldTtl<NonNullable<RouteCacheInput["exact"]>>; semantic?: WithOldTtl<NonNullable<RouteCacheInput["semantic"]>> };
};
type Routes = Record<string, RouteWithOldNames>;
type IdempotencyWithOldNames = Omit<IdempotencyInput, "store" | "retentionMs"> & {
  /** @deprecated value "sql": use "database". */
  store?: IdempotencyInput["store"] | "sql";
} & ({ retentionMs?: number; retentionSeconds?: never } | { /** @deprecated Use `retentionMs`. */ retentionSeconds?: number; retentionMs?: never });
type CacheWithOldNames = Omit<CacheInput, "store"> & {
  /** @deprecated value "sqlite": use "database". */
  store?: CacheInput["store"] | "sqlite";
};

/** A config as written (a file, or `createGateway({ config })`). */
export type ConfigInput = Omit<Input, "routes" | "idempotency" | "cache"> & {
  /** Required (under this name or the old one). */
  routes?: Routes;
  /** @deprecated Use `routes`. */
  models?: Routes;
  idempotency?: IdempotencyWithOldNames;
  cache?: CacheWithOldNames;
};
export type ParsedConfig = z.output<typeof configSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type RouteCacheConfig = z.output<typeof routeCacheSchema>;
export type FaultConfig = z.output<typeof faultSchema>;
export type Timeouts = z.output<typeof timeoutsSchema>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type BreakerPolicy = z.output<typeof breakerSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type PriceConfig = z.output<typeof priceInput>;
export type ObservabilityConfig = z.output<typeof observabilitySchema>;

/** A typed identity for `tollgate.config.*` files and library users. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
