import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { fieldPath } from "../errors/field-path.js";
import { type BudgetRule, toBudgetRule } from "./budgets-schema.js";
import { type ResolvedBedrock, type ResolvedVertex, resolveCloudProvider } from "./cloud-providers.js";
import { pathAsWritten, renameDeprecated } from "./deprecated-names.js";
import type { Resolved, UpstreamIdempotency } from "./resolved-provider.js";
import { COMPATIBLE_PRESETS } from "./presets.js";
import { type ResolvedAdmin, resolveAdmin } from "./resolve-admin.js";
import { type ResolvedAlerts, resolveAlerts } from "./resolve-alerts.js";
import {
  type BreakerPolicy,
  configSchema,
  logBodiesSchema,
  type ObservabilityConfig,
  type ParsedConfig,
  type PriceConfig,
  type ProviderConfig,
  type RetryPolicy,
  type RouteConfig,
  type SecretRef,
  type Timeouts,
} from "./schema.js";
import { secretEnvName } from "./secret-ref.js";
import { type HttpToolConfig, type McpServerConfig, type ToolLoopConfig, toolLoopSchema } from "./tools-schema.js";

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

export type { BreakerPolicy, RetryPolicy, Timeouts } from "./schema.js";

export type { UpstreamIdempotency } from "./resolved-provider.js";

type ProviderOf<T extends ProviderConfig["type"]> = Extract<ProviderConfig, { type: T }>;

export type ResolvedProvider =
  // organization becomes a header; a preset's values are filled in.
  | Resolved<Omit<ProviderOf<"openai">, "organization">, "apiKey", { streamUsageOption: boolean }>
  | Resolved<Omit<ProviderOf<"openai-compatible">, "preset">, "apiKey", { baseURL: string; streamUsageOption: boolean; jsonSchema: boolean }>
  | Resolved<ProviderOf<"anthropic">, "apiKey">
  | Resolved<ProviderOf<"google">, "apiKey">
  | Resolved<ProviderOf<"azure-openai">, "apiKey", { deployments: Record<string, string> }>
  | (ProviderOf<"simulator"> & { name: string })
  | ResolvedBedrock
  | ResolvedVertex;

type IdempotencyConfig = ParsedConfig["idempotency"];
export type ResolvedIdempotency = Omit<IdempotencyConfig, "store"> & { store: NonNullable<IdempotencyConfig["store"]> };

export type ResolvedRoute = Omit<RouteConfig, "timeouts" | "retry" | "breaker" | "logBodies" | "tools" | "toolLoop" | "aliases"> & {
  name: string;
  /** Exact names and `*` patterns this route also answers (config/route-match.ts); absent when none. */
  aliases?: string[];
  /** `defaults` with the route's own overrides. */
  timeouts: Timeouts;
  retry: RetryPolicy;
  breaker: BreakerPolicy;
  /** Set when the route logs its prompt and completion, cut to `maxChars` each. */
  logBodies?: z.output<typeof logBodiesSchema>;
  /** Server-side tools the route may run (checked against the registry at startup), with its loop limits. */
  tools?: { names: string[]; loop: ToolLoopConfig };
};

type WithHeaders<T extends { headers?: Record<string, SecretRef> | undefined }> = Omit<T, "headers"> & { headers: Record<string, string> };

export type ResolvedObservability = Omit<ObservabilityConfig, "traces"> & { traces: WithHeaders<ObservabilityConfig["traces"]> };

/** Tool and MCP configs with their header secrets read from the environment. */
export type ResolvedHttpTool = WithHeaders<HttpToolConfig> & { name: string };
export type ResolvedMcpServer = WithHeaders<McpServerConfig> & { name: string };

/** The parsed config, with secrets read, defaults cascaded, and a few values worked out. */
export type ResolvedConfig = Pick<ParsedConfig, "server" | "ledger" | "toolResults"> & {
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
  cache: Omit<ParsedConfig["cache"], "store"> & { store: NonNullable<ParsedConfig["cache"]["store"]> };
  idempotency: ResolvedIdempotency;
  providers: Record<string, ResolvedProvider>;
  /** The config's `routes`, by name. */
  models: Record<string, ResolvedRoute>;
  observability: ResolvedObservability;
  tools: Record<string, ResolvedHttpTool>;
  mcpServers: Record<string, ResolvedMcpServer>;
  alerts: ResolvedAlerts;
  /** Old config names in use (each names its new one): logged when a gateway starts, printed by `tollgate check`. */
  warnings: string[];
};

/** The embedded database when neither database.url nor DATABASE_URL is set: a SQLite file beside where the gateway runs. */
const EMBEDDED_DATABASE_URL = "sqlite:.tollgate/tollgate.db";

type Env = Record<string, string | undefined>;

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: fieldPath(issue.path), message: issue.message }));
}

/** The fields a route set (zod leaves the others undefined). */
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
export function resolveConfig(raw: unknown, env: Env = process.env, source?: string): ResolvedConfig {
  const renamed = renameDeprecated(raw);
  const input = renamed.input;
  const asWritten = (issues: ConfigIssue[]) => issues.map((i) => ({ ...i, path: pathAsWritten(i.path, renamed.paths) }));
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(asWritten([...renamed.issues, ...zodIssues(parsed.error), ...unsetSecrets(input, env)]), source);
  if (renamed.issues.length > 0) throw new ConfigError(renamed.issues, source);
  const config = parsed.data;
  const issues: ConfigIssue[] = [];

  const secret = (ref: SecretRef, path: string): string => {
    const name = secretEnvName(ref);
    if (name === undefined) return ref;
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
      providers[name] = { ...dropUndefined(p), type: "simulator", name, ttftMs: p.ttftMs };
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
  for (const [name, r] of Object.entries(config.routes)) {
    models[name] = {
      name,
      targets: r.targets,
      timeouts: { ...defaults.timeouts, ...dropUndefined(r.timeouts) },
      retry: { ...defaults.retry, ...dropUndefined(r.retry) },
      breaker: { ...defaults.breaker, ...dropUndefined(r.breaker) },
      ...(r.description ? { description: r.description } : {}),
      ...(r.aliases?.length ? { aliases: r.aliases } : {}),
      unsupportedTools: r.unsupportedTools,
      ...(r.contextWindow ? { contextWindow: r.contextWindow } : {}),
      ...(r.maxOutputTokens ? { maxOutputTokens: r.maxOutputTokens } : {}),
      structuredOutput: r.structuredOutput,
      ...(r.systemPrompt ? { systemPrompt: r.systemPrompt } : {}),
      ...(r.logBodies ? { logBodies: r.logBodies === true ? logBodiesSchema.parse({}) : r.logBodies } : {}),
      ...(r.cache ? { cache: r.cache } : {}),
      ...(r.tools?.length ? { tools: { names: r.tools, loop: r.toolLoop ?? toolLoopSchema.parse({}) } } : {}),
    };
  }
  const tools = Object.fromEntries(Object.entries(config.tools).map(([name, t]) => [name, { ...t, name, headers: secretHeaders(t.headers, `tools.${name}.headers`) }]));
  const mcpServers = Object.fromEntries(Object.entries(config.mcpServers).map(([name, m]) => [name, { ...m, name, headers: secretHeaders(m.headers, `mcpServers.${name}.headers`) }]));

  const clientKeys = config.auth.keys.map((k, i) => secret(k, `auth.keys[${i}]`));
  const admin = resolveAdmin(config.admin, secret);
  const adminKeys = admin.keys.map((k) => k.secret);
  const databaseUrl = config.database.url === undefined ? (env.DATABASE_URL ?? EMBEDDED_DATABASE_URL) : secret(config.database.url, "database.url");
  const redisUrl = config.redis.url === undefined ? env.REDIS_URL : secret(config.redis.url, "redis.url");
  const rules = config.budgets.rules.map(toBudgetRule);
  if (config.observability.metrics.auth === "admin" && adminKeys.length === 0)
    issues.push({ path: "observability.metrics.auth", message: 'metrics.auth "admin" needs at least one admin key (admin.keys).' });
  const { traces } = config.observability;
  const observability: ResolvedObservability = { ...config.observability, traces: { ...traces, headers: secretHeaders(traces.headers, "observability.traces.headers") } };
  const cache = { ...config.cache, store: config.cache.store ?? (databaseUrl.startsWith("sqlite:") ? "database" : "memory") };
  if (cache.store === "database" && !databaseUrl.startsWith("sqlite:"))
    issues.push({ path: "cache.store", message: 'The "database" cache store keeps answers in the gateway\'s database, which is not SQLite here: use "redis" or "memory".' });
  if (cache.store === "redis" && !redisUrl) issues.push({ path: "cache.store", message: 'The "redis" cache store needs redis.url (or REDIS_URL).' });
  const idem = config.idempotency;
  const idempotency: ResolvedIdempotency = { ...idem, store: idem.store ?? (redisUrl ? "redis" : "database") };
  if (idempotency.store === "redis" && !redisUrl) issues.push({ path: "idempotency.store", message: "The redis store needs redis.url (or REDIS_URL)." });
  const prices = Object.fromEntries(Object.entries(config.prices).map(([model, p]) => [model, Array.isArray(p) ? p : [p]]));
  const alerts = resolveAlerts(config.alerts, secret, issues);
  if (issues.length > 0) throw new ConfigError(asWritten(issues), source);
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
    warnings: renamed.warnings,
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
