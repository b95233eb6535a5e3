import { readFile } from "node:fs/promises";
import { resolveAlerts, type ResolvedAlerts } from "../alerts/resolve-alerts.js";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { COMPATIBLE_PRESETS } from "./presets.js";
import { resolveCloudProvider, type ResolvedBedrock, type ResolvedVertex } from "./cloud-providers.js";
import type { BudgetRule } from "../budgets/types.js";
import { NANOS_PER_USD } from "../pricing/price-table.js";
import { toolLoopSchema, type HttpToolConfig, type McpServerConfig, type ToolLoopConfig } from "../tools/config-schema.js";
import { configSchema, type CacheConfig, type RouteCacheConfig, type FaultConfig, type ObservabilityConfig, type ParsedConfig, type PriceConfig, type RouteConfig, type SecretRef } from "./schema.js";
import { fieldPath } from "../errors/field-path.js";
import { resolveAdmin, type ResolvedAdmin } from "../orgs/resolve-admin.js";

export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(`Invalid config${source ? ` ${source}` : ""}:\n${issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface Timeouts {
  connectMs: number;
  headersMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export interface BreakerPolicy {
  failureThreshold: number;
  cooldownMs: number;
}

export type ResolvedProvider =
  | ({ type: "openai"; name: string; baseURL: string; apiKey?: string; headers: Record<string, string>; streamUsageOption: boolean; api?: "chat" | "responses" } & UpstreamIdempotency)
  | ({ type: "openai-compatible"; name: string; baseURL: string; apiKey?: string; headers: Record<string, string>; streamUsageOption: boolean; jsonSchema: boolean } & UpstreamIdempotency)
  | ({ type: "anthropic"; name: string; baseURL: string; apiKey?: string; headers: Record<string, string>; version: string; defaultMaxTokens: number } & UpstreamIdempotency)
  | ({ type: "google"; name: string; baseURL: string; apiKey?: string; headers: Record<string, string> } & UpstreamIdempotency)
  | ({ type: "azure-openai"; name: string; endpoint: string; apiKey?: string; apiVersion: string; deployments: Record<string, string>; headers: Record<string, string> } & UpstreamIdempotency)
  | { type: "simulator"; name: string; ttftMs: number; tokensPerSecond?: number; answerTokens?: number; fault?: FaultConfig }
  | ResolvedBedrock
  | ResolvedVertex;

/** The header in which the upstream takes an idempotency key (lower case), when it honours one. */
export interface UpstreamIdempotency {
  idempotencyHeader?: string;
}

export interface ResolvedIdempotency {
  retentionMs: number;
  onConcurrent: "wait" | "conflict";
  waitTimeoutMs: number;
  leaseMs: number;
  store: "memory" | "sql" | "redis";
  scope: "key" | "team";
}

export interface ResolvedRoute {
  name: string;
  description?: string;
  /** Exact names and `*` patterns this route also answers (config/route-match.ts). */
  aliases?: string[];
  unsupportedTools: "refuse" | "drop";
  targets: { provider: string; model: string }[];
  timeouts: Timeouts;
  retry: RetryPolicy;
  breaker: BreakerPolicy;
  contextWindow?: number;
  maxOutputTokens?: number;
  structuredOutput: RouteConfig["structuredOutput"];
  systemPrompt?: NonNullable<RouteConfig["systemPrompt"]>;
  /** Set when the route logs its prompt and completion, cut to `maxChars` each. */
  logBodies?: { maxChars: number };
  cache?: RouteCacheConfig;
  /** Server-side tools the route may run (checked against the registry at startup), with its loop limits. */
  tools?: { names: string[]; loop: ToolLoopConfig };
}

export interface ResolvedObservability {
  logs: ObservabilityConfig["logs"];
  metrics: ObservabilityConfig["metrics"];
  traces: Omit<ObservabilityConfig["traces"], "headers"> & { headers: Record<string, string> };
}

const DEFAULT_LOG_BODY_CHARS = 2_000;

/** Tool and MCP configs with their header secrets read from the environment. */
export type ResolvedHttpTool = Omit<HttpToolConfig, "headers"> & { name: string; headers: Record<string, string> };
export type ResolvedMcpServer = Omit<McpServerConfig, "headers"> & { name: string; headers: Record<string, string> };

export interface ResolvedConfig {
  server: ParsedConfig["server"];
  /** Client keys; empty means the gateway is open (local development). */
  clientKeys: string[];
  /** Admin API keys' secrets; the admin API is off with none and no OIDC sign-in. */
  adminKeys: string[];
  /** No client or admin key configured: any caller may use the gateway (local development). */
  open: boolean;
  /** Admin keys with their roles and teams, and the dashboard's OpenID Connect sign-in. */
  admin: ResolvedAdmin;
  databaseUrl: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  budgets: Omit<ParsedConfig["budgets"], "rules"> & { rules: BudgetRule[] };
  prices: Record<string, PriceConfig[]>;
  ledger: ParsedConfig["ledger"];
  cache: Omit<CacheConfig, "store"> & { store: "memory" | "sqlite" | "redis" };
  idempotency: ResolvedIdempotency;
  providers: Record<string, ResolvedProvider>;
  models: Record<string, ResolvedRoute>;
  observability: ResolvedObservability;
  tools: Record<string, ResolvedHttpTool>;
  mcpServers: Record<string, ResolvedMcpServer>;
  toolResults: ParsedConfig["toolResults"];
  alerts: ResolvedAlerts;
}

/** The embedded default: a SQLite file beside where the gateway runs. */
const DEFAULT_DATABASE_URL = "sqlite:.tollgate/tollgate.db";

const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, headersMs: 30_000, firstTokenMs: 60_000, idleMs: 30_000, totalMs: 600_000 };
const DEFAULT_RETRY: RetryPolicy = { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 20_000 };
const DEFAULT_BREAKER: BreakerPolicy = { failureThreshold: 5, cooldownMs: 30_000 };

type Env = Record<string, string | undefined>;

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: fieldPath(issue.path), message: issue.message }));
}

function dropUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Environment references that are unset, found anywhere in a raw config, so one run reports them with the schema errors. */
function unsetSecrets(input: unknown, env: Env, path: PropertyKey[] = []): ConfigIssue[] {
  if (typeof input === "string") {
    const name = input.startsWith("env:") ? input.slice(4) : undefined;
    return name && !env[name] ? [{ path: fieldPath(path), message: `Environment variable ${name} is not set.` }] : [];
  }
  if (input === null || typeof input !== "object") return [];
  const entries = Object.entries(input);
  if (!Array.isArray(input) && entries.length === 1 && typeof (input as { env?: unknown }).env === "string") {
    const name = (input as { env: string }).env;
    return env[name] ? [] : [{ path: fieldPath(path), message: `Environment variable ${name} is not set.` }];
  }
  return entries.flatMap(([k, v]) => unsetSecrets(v, env, [...path, Array.isArray(input) ? Number(k) : k]));
}

/** Validates a config object and resolves secrets and defaults; throws ConfigError naming every bad path. */
export function resolveConfig(input: unknown, env: Env = process.env, source?: string): ResolvedConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError([...zodIssues(parsed.error), ...unsetSecrets(input, env)], source);
  const config = parsed.data;
  const issues: ConfigIssue[] = [];

  const secret = (ref: SecretRef, path: string): string => {
    const name = typeof ref === "string" ? (ref.startsWith("env:") ? ref.slice(4) : undefined) : ref.env;
    if (name === undefined) return ref as string;
    const value = env[name];
    if (value === undefined || value === "") {
      issues.push({ path, message: `Environment variable ${name} is not set.` });
      return "";
    }
    return value;
  };
  const secretHeaders = (headers: Record<string, SecretRef> | undefined, path: string) =>
    Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), secret(v, `${path}.${k}`)]));

  const providers: Record<string, ResolvedProvider> = {};
  for (const [name, p] of Object.entries(config.providers)) {
    const path = `providers.${name}`;
    if (p.type === "simulator") {
      providers[name] = {
        type: "simulator",
        name,
        ttftMs: p.ttftMs,
        ...(p.tokensPerSecond !== undefined ? { tokensPerSecond: p.tokensPerSecond } : {}),
        ...(p.answerTokens !== undefined ? { answerTokens: p.answerTokens } : {}),
        ...(p.fault ? { fault: p.fault } : {}),
      };
      continue;
    }
    if (p.type === "bedrock" || p.type === "vertex") {
      providers[name] = resolveCloudProvider(name, p, path, secret);
      continue;
    }
    const keyed: UpstreamIdempotency = p.idempotencyHeader ? { idempotencyHeader: p.idempotencyHeader.toLowerCase() } : {};
    if (p.type === "anthropic") {
      const apiKey = p.apiKey === undefined ? undefined : secret(p.apiKey, `${path}.apiKey`);
      const headers = secretHeaders(p.headers, `${path}.headers`);
      providers[name] = { type: "anthropic", name, baseURL: p.baseURL.replace(/\/+$/, ""), headers, version: p.version, defaultMaxTokens: p.defaultMaxTokens, ...keyed, ...(apiKey ? { apiKey } : {}) };
      continue;
    }
    if (p.type === "google" || p.type === "azure-openai") {
      const apiKey = secret(p.apiKey, `${path}.apiKey`);
      const headers = secretHeaders(p.headers, `${path}.headers`);
      providers[name] =
        p.type === "google"
          ? { type: "google", name, baseURL: p.baseURL.replace(/\/+$/, ""), headers, ...keyed, ...(apiKey ? { apiKey } : {}) }
          : { type: "azure-openai", name, endpoint: p.endpoint.replace(/\/+$/, ""), apiVersion: p.apiVersion, deployments: p.deployments ?? {}, headers, ...keyed, ...(apiKey ? { apiKey } : {}) };
      continue;
    }
    const preset = p.type === "openai-compatible" && p.preset ? COMPATIBLE_PRESETS[p.preset] : undefined;
    const baseURL = (p.baseURL ?? preset?.baseURL ?? "").replace(/\/+$/, "");
    const headers = secretHeaders(p.headers, `${path}.headers`);
    if (p.type === "openai" && p.organization) headers["openai-organization"] = p.organization;
    const streamUsageOption = p.type === "openai" ? true : (p.streamUsageOption ?? preset?.streamUsageOption ?? true);
    const apiKey = p.apiKey === undefined ? undefined : secret(p.apiKey, `${path}.apiKey`);
    const common = { name, baseURL, headers, streamUsageOption, ...keyed, ...(apiKey ? { apiKey } : {}) };
    providers[name] = p.type === "openai" ? { type: "openai", ...common, api: p.api } : { type: "openai-compatible", ...common, jsonSchema: p.jsonSchema ?? preset?.jsonSchema ?? false };
  }

  const defaults = config.defaults;
  const models: Record<string, ResolvedRoute> = {};
  for (const [name, r] of Object.entries(config.models)) {
    models[name] = {
      name,
      targets: r.targets,
      timeouts: { ...DEFAULT_TIMEOUTS, ...dropUndefined(defaults.timeouts), ...dropUndefined(r.timeouts) },
      retry: { ...DEFAULT_RETRY, ...dropUndefined(defaults.retry), ...dropUndefined(r.retry) },
      breaker: { ...DEFAULT_BREAKER, ...dropUndefined(defaults.breaker), ...dropUndefined(r.breaker) },
      ...(r.description ? { description: r.description } : {}),
      ...(r.aliases?.length ? { aliases: r.aliases } : {}),
      unsupportedTools: r.unsupportedTools,
      ...(r.contextWindow ? { contextWindow: r.contextWindow } : {}),
      ...(r.maxOutputTokens ? { maxOutputTokens: r.maxOutputTokens } : {}),
      structuredOutput: r.structuredOutput,
      ...(r.systemPrompt ? { systemPrompt: r.systemPrompt } : {}),
      ...(r.logBodies ? { logBodies: { maxChars: r.logBodies === true ? DEFAULT_LOG_BODY_CHARS : r.logBodies.maxChars } } : {}),
      ...(r.cache ? { cache: r.cache } : {}),
      ...(r.tools?.length ? { tools: { names: r.tools, loop: r.toolLoop ?? toolLoopSchema.parse({}) } } : {}),
    };
  }
  const tools = Object.fromEntries(Object.entries(config.tools).map(([name, t]) => [name, { ...t, name, headers: secretHeaders(t.headers, `tools.${name}.headers`) }]));
  const mcpServers = Object.fromEntries(Object.entries(config.mcpServers).map(([name, m]) => [name, { ...m, name, headers: secretHeaders(m.headers, `mcpServers.${name}.headers`) }]));

  const clientKeys = config.auth.keys.map((k, i) => secret(k, `auth.keys[${i}]`));
  const admin = resolveAdmin(config.admin, secret);
  const adminKeys = admin.keys.map((k) => k.secret);
  const databaseUrl = config.database.url === undefined ? (env.DATABASE_URL ?? DEFAULT_DATABASE_URL) : secret(config.database.url, "database.url");
  const redisUrl = config.redis.url === undefined ? env.REDIS_URL : secret(config.redis.url, "redis.url");
  const rules = config.budgets.rules.map((r): BudgetRule => {
    const [unit, limit] = r.usd !== undefined ? (["usd", Math.round(r.usd * NANOS_PER_USD)] as const) : r.tokens !== undefined ? (["tokens", r.tokens] as const) : (["requests", r.requests!] as const);
    return { scope: r.scope, id: r.id, period: r.period, unit, limit };
  });
  if (config.observability.metrics.auth === "admin" && adminKeys.length === 0)
    issues.push({ path: "observability.metrics.auth", message: 'metrics.auth "admin" needs at least one admin key (admin.keys).' });
  const { traces } = config.observability;
  const observability: ResolvedObservability = { ...config.observability, traces: { ...traces, headers: secretHeaders(traces.headers, "observability.traces.headers") } };
  const cache = { ...config.cache, store: config.cache.store ?? (databaseUrl.startsWith("sqlite:") ? "sqlite" : "memory") };
  if (cache.store === "sqlite" && !databaseUrl.startsWith("sqlite:"))
    issues.push({ path: "cache.store", message: 'The "sqlite" cache store lives in the gateway\'s database, which is not SQLite here: use "redis" or "memory".' });
  if (cache.store === "redis" && !redisUrl) issues.push({ path: "cache.store", message: 'The "redis" cache store needs redis.url (or REDIS_URL).' });
  const idem = config.idempotency;
  const idempotencyStore = idem.store ?? (redisUrl ? "redis" : "sql");
  if (idempotencyStore === "redis" && !redisUrl) issues.push({ path: "idempotency.store", message: "The redis store needs redis.url (or REDIS_URL)." });
  const idempotency: ResolvedIdempotency = {
    retentionMs: idem.retentionSeconds * 1000,
    onConcurrent: idem.onConcurrent,
    waitTimeoutMs: idem.waitTimeoutMs,
    leaseMs: idem.leaseMs,
    store: idempotencyStore,
    scope: idem.scope,
  };
  const prices = Object.fromEntries(Object.entries(config.prices).map(([model, p]) => [model, Array.isArray(p) ? p : [p]]));
  const alerts = resolveAlerts(config.alerts, secret, issues);
  if (issues.length > 0) throw new ConfigError(issues, source);
  return {
    server: config.server,
    clientKeys,
    adminKeys,
    open: clientKeys.length === 0 && adminKeys.length === 0 && admin.oidc === undefined,
    admin,
    databaseUrl,
    ...(redisUrl ? { redisUrl } : {}),
    redisKeyPrefix: config.redis.keyPrefix,
    budgets: { ...config.budgets, rules },
    prices,
    ledger: config.ledger,
    cache,
    idempotency,
    providers,
    models,
    observability,
    tools,
    mcpServers,
    toolResults: config.toolResults,
    alerts,
  };
}

/** Reads a JSON or YAML config file. */
export async function loadConfigFile(file: string, env: Env = process.env): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ path: "", message: `Cannot read ${file}: ${(err as Error).message}` }], file);
  }
  let data: unknown;
  try {
    data = extname(file) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError([{ path: "", message: `Cannot parse ${file}: ${(err as Error).message}` }], file);
  }
  return resolveConfig(data, env, file);
}
