import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { BudgetExceededError } from "../budgets/budget-exceeded.js";
import { BudgetStoreUnavailableError } from "../budgets/errors.js";
import type { ResolvedConfig } from "../config/resolve.js";
import type { BreakerRegistry } from "../engine/breaker-registry.js";
import type { ObservedRequest } from "./observed-request.js";
import type { RequestRecord } from "../spec/request-record.js";
import { NANOS_PER_USD } from "../pricing/price-table.js";
import { PlainCounter, PlainHistogram } from "./plain-metrics.js";
import type { RecordFacts } from "./record-facts.js";

const PREFIX = "tollgate_";
/** Label value for a request that never reached a route, or an attempt-less request's provider and model. */
const NO_LABEL = "none";
/** Error codes are stable names, but a provider's own code passes through on a rejected request: at most this many, then "other". */
const MAX_ERROR_CODES = 100;
const HTTP_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** The tokens counter's `type` label values, in the order a request's counts are added. */
const TOKEN_TYPES = ["input", "output", "reasoning", "cached_input"] as const;
const BREAKER_VALUES = { closed: 0, "half-open": 1, open: 2 } as const;
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

function counter(registry: Registry, name: string, help: string, labelNames: string[]) {
  return new PlainCounter(registry, PREFIX + name, help, labelNames);
}

function histogram(registry: Registry, name: string, help: string, buckets: number[]) {
  return new PlainHistogram(registry, PREFIX + name, help, ["route", "provider", "model"], buckets);
}

/**
 * The gateway's Prometheus metrics, in its own registry (two gateways in one process do
 * not share counters). Almost everything is derived from the request record once the
 * request is over; only the in-flight gauges move on the hot path. Labels are config
 * names and stable codes: no key, user or request ever becomes a label.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly activeRequests: Gauge;
  readonly activeStreams: Gauge;
  private readonly requests = counter(this.registry, "requests_total", "Requests answered, by route, inbound API, HTTP status, outcome and streaming.", [
    "route",
    "api",
    "status",
    "outcome",
    "stream",
  ]);
  private readonly errors = counter(this.registry, "errors_total", "Requests that ended in an error, by error code.", ["route", "code"]);
  private readonly duration = histogram(this.registry, "request_duration_seconds", "Whole request latency, by route and the answering (or last tried) target.", DURATION_BUCKETS);
  private readonly ttft = histogram(this.registry, "ttft_seconds", "Time to the first content token as the client saw it.", TTFT_BUCKETS);
  private readonly tokens = counter(this.registry, "tokens_total", "Tokens of answered requests, by type (input, output, reasoning, cached_input).", ["route", "provider", "model", "type"]);
  private readonly cost = counter(this.registry, "cost_usd_total", "Spend in USD, priced like the ledger.", ["route", "provider", "model"]);
  private readonly attempts = counter(this.registry, "upstream_attempts_total", "Upstream attempts, by target and attempt status (ok, error, cancelled).", ["provider", "model", "status"]);
  private readonly retries = counter(this.registry, "retries_total", "Attempts beyond the first on a target, within one model call.", ["route"]);
  private readonly steps = counter(this.registry, "steps_total", "Model calls beyond a request's first: tool loop steps and structured-output repairs (not retries).", ["route", "kind"]);
  private readonly fallbacks = counter(this.registry, "fallbacks_total", "Requests answered (or last tried) by another target than the route's first.", ["route"]);
  private readonly budgetRejections = counter(this.registry, "budget_rejections_total", "Requests refused by a budget or rate limit (or because budgets could not be checked), by scope and code.", [
    "scope",
    "code",
  ]);
  private readonly cacheHits = counter(this.registry, "cache_hits_total", "Requests answered from a cache.", ["route", "kind"]);
  private readonly toolCalls = counter(this.registry, "tool_calls_total", "Server-side tool calls the model asked for, by tool and outcome (ok, error, refused; reused: a stored result).", [
    "route",
    "tool",
    "status",
  ]);
  private readonly http = counter(
    this.registry,
    "http_requests_total",
    "Every HTTP request, by what served it (api, gemini, admin, dashboard, metrics, health, preflight, unmatched), method and status.",
    ["handler", "method", "status"],
  );
  private readonly errorCodes = new Set<string>();

  constructor(config: ResolvedConfig, breakers: BreakerRegistry) {
    const registers = [this.registry];
    this.activeRequests = new Gauge({ name: `${PREFIX}active_requests`, help: "Requests in flight.", registers });
    this.activeStreams = new Gauge({ name: `${PREFIX}active_streams`, help: "Streamed answers being relayed.", registers });
    const targets = new Map<string, { provider: string; model: string }>();
    for (const route of Object.values(config.models)) for (const t of route.targets) targets.set(`${t.provider}/${t.model}`, t);
    new Gauge({
      name: `${PREFIX}circuit_breaker_state`,
      help: "Circuit breaker per target: 0 closed, 1 half-open, 2 open.",
      labelNames: ["provider", "model"],
      registers,
      // Read at scrape time: breakers change state with time (cooldowns), not only on requests.
      collect() {
        for (const t of targets.values()) this.labels(t.provider, t.model).set(BREAKER_VALUES[breakers.peek(t.provider, t.model)?.state ?? "closed"]);
      },
    });
    if (config.observability.metrics.process) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** The ledger's spool (records waiting for the database), read at scrape time. */
  watchLedgerSpool(read: () => number): void {
    new Gauge({
      name: `${PREFIX}ledger_spooled_records`,
      help: "Ledger records waiting in this instance's spool file for the database (above 0: the database is unreachable).",
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  observe(record: RequestRecord, ctx: ObservedRequest, facts: RecordFacts): void {
    const route = record.route ?? NO_LABEL;
    const provider = facts.last?.provider ?? NO_LABEL;
    const model = facts.last?.model ?? NO_LABEL;
    this.requests.inc([route, record.api, record.status, record.outcome, record.stream]);
    if (record.errorCode !== undefined) this.errors.inc([route, this.codeLabel(record.errorCode)]);
    const labels = [route, provider, model];
    this.duration.observe(labels, record.latencyMs / 1000);
    if (record.ttftMs !== undefined) this.ttft.observe(labels, record.ttftMs / 1000);
    const { usage } = record;
    if (usage) {
      this.tokens.incEach(labels, TOKEN_TYPES, [usage.inputTokens, usage.outputTokens, usage.reasoningTokens, usage.cachedInputTokens]);
    }
    if (record.costNanos !== undefined) this.cost.inc(labels, record.costNanos / NANOS_PER_USD);
    for (const a of record.attempts) this.attempts.inc([a.provider, a.model, a.status]);
    if (facts.retries > 0) this.retries.inc([route], facts.retries);
    if (facts.steps > 0) this.steps.inc([route, record.toolCalls?.length ? "tool_loop" : "repair"], facts.steps);
    if (facts.fallback) this.fallbacks.inc([route]);
    if (record.cache) this.cacheHits.inc([route, record.cache.kind]);
    for (const call of record.toolCalls ?? []) {
      // A name the route does not list is the model's own text: it never becomes a label.
      const tool = call.errorCode === "tool_not_allowed" ? "unlisted" : call.name;
      this.toolCalls.inc([route, tool, call.reused ? "reused" : call.status]);
    }
    const err = ctx.error;
    if (err instanceof BudgetExceededError || err instanceof BudgetStoreUnavailableError) {
      const scope = err.details?.scope;
      this.budgetRejections.inc([typeof scope === "string" ? scope : NO_LABEL, err.code]);
    }
  }

  /** One sample per HTTP request; a method outside HTTP's own list is "other" (it is the client's text). */
  observeHttp(handler: string, method: string, status: number): void {
    this.http.inc([handler, HTTP_METHODS.has(method) ? method : "other", status]);
  }

  private codeLabel(code: string): string {
    if (this.errorCodes.has(code)) return code;
    if (this.errorCodes.size >= MAX_ERROR_CODES) return "other";
    this.errorCodes.add(code);
    return code;
  }
}
