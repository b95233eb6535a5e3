import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { Identity } from "../spec/identity.js";
import type { AttemptRecord, RequestRecord, ToolCallRecord } from "../spec/request-record.js";
import type { ResponseSink } from "../spec/response-sink.js";
import type { InboundCodec, StreamEncoder } from "../apis/inbound-codec.js";
import type { CachePlan } from "./cache-plan.js";
import type { OpenedUpstream } from "../engine/upstream-attempt.js";
import type { AnswerRecorder } from "../engine/answer-recorder.js";
import type { ResolvedConfig, ResolvedRoute } from "../config/resolve.js";
import type { Redactor } from "../errors/redact.js";
import type { Provider } from "../providers/provider.js";
import type { BreakerRegistry } from "../engine/breaker-registry.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { Sql } from "../store/sql.js";
import type { KeyStore } from "../keys/key-store.js";
import type { VirtualKeys } from "../keys/virtual-keys.js";
import type { OrgDirectory } from "../orgs/org-directory.js";
import type { BudgetStore, CounterLine } from "../budgets/types.js";
import type { GatewayLogger } from "../observability/logger.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { ResponseCache } from "../cache/response-cache.js";
import type { ToolServices } from "../tools/tool-services.js";

/** Long-lived parts of a gateway that every request shares. */
export interface GatewayServices {
  config: ResolvedConfig;
  providers: ReadonlyMap<string, Provider>;
  breakers: BreakerRegistry;
  redactor: Redactor;
  prices: PriceTable;
  /** The database, once open and migrated. */
  store: () => Promise<Sql>;
  keyStore: () => Promise<KeyStore>;
  virtualKeys: VirtualKeys;
  /** Teams and users (their budgets, models, default tags, disabled state), cached for the request path. */
  orgs: OrgDirectory;
  budgetStore: BudgetStore;
  /** The host application's identity hook (library mode); replaces key auth when set. */
  identify?: (request: { headers: Record<string, string | string[] | undefined> }) => Identity | null | Promise<Identity | null>;
  /** Every finished request's record, with its context for sinks that need the request's details (traces, logged bodies). */
  onRecord: (record: RequestRecord, ctx: GatewayContext) => void;
  /** Operational and request logs (pino-compatible). */
  logger: GatewayLogger;
  /** Prometheus metrics; undefined when `observability.metrics.enabled` is false. */
  metrics?: GatewayMetrics;
  /** The response cache, when a route caches (docs/caching.md). */
  cache?: ResponseCache;
  /** Server-side tools and their stored results (docs/tools.md). */
  tools: ToolServices;
  /** The ledger's journal, told what a crash would otherwise lose (docs/accounting.md#what-a-crash-costs). */
  journal?: RequestJournal;
}

interface RequestJournal {
  /** The request is about to call upstream (the first call counts): from here a crash bills it as interrupted. */
  begin(ctx: GatewayContext, provider: string, model: string): void;
  /** The request's budget reservation was settled. */
  settled(id: string): void;
}

/** The one object a request's stages share. */
export class GatewayContext {
  readonly startedAt = Date.now();
  readonly startedAtMono = performance.now();
  identity?: Identity;
  /** The request URL's query string, without the `?` (absent: none). */
  query?: string;
  request?: CanonicalRequest;
  route?: ResolvedRoute;
  upstream?: OpenedUpstream;
  /** Set by a stage that keeps the answer (cache, idempotency); the relay feeds it. */
  recorder?: AnswerRecorder;
  /** What the cache decided for this request (set by the cache lookup, read by the semantic stage). */
  cachePlan?: CachePlan;
  /** Set by a stage that answered from a cache or an idempotent replay; the meter copies it to the record. */
  cache?: RequestRecord["cache"];
  /** How the stream is written in the client's API, once it has begun. */
  encoder?: StreamEncoder;
  readonly attempts: AttemptRecord[] = [];
  /** The model call under way: 1, then one more for each tool loop step or repair after an answer (`nextStep`). */
  step = 1;
  readonly toolCalls: ToolCallRecord[] = [];
  /**
   * Set by enforceBudgets when budgets apply: adds the worst case of one more model call (a
   * repair, a tool loop's next step) to the request's reservation, priced at the priciest of
   * `targets` (default: the route's), or throws 429 without calling.
   */
  reserveStep?: (request: CanonicalRequest, targets?: readonly { provider: string; model: string }[]) => Promise<void>;
  /** The budget counters this request reserved on (set by enforceBudgets), for the journal to settle them after a crash. */
  budgetLines?: readonly CounterLine[];
  readonly responseHeaders: Record<string, string>;
  /** Reads the body from the transport (set by the HTTP server); parseRequest calls it after authentication, so an unauthenticated request's body is never read. */
  readBody?: () => Promise<unknown>;
  /** The record journaled as the answer ended, with the status and error it saw (stages/request-record.ts). */
  ended?: { record: RequestRecord; status: number; error: unknown };
  /** Status of the answer the client received (499 when it left first). */
  status = 200;
  error?: unknown;

  constructor(
    readonly id: string,
    readonly codec: InboundCodec,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: unknown,
    readonly signal: AbortSignal,
    readonly sink: ResponseSink,
    readonly services: GatewayServices,
  ) {
    this.responseHeaders = { "x-request-id": id };
  }

  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  /** The engine's hook before each upstream call: from here the journal bills a crash as interrupted. */
  upstreamBegins(provider: string, model: string): void {
    this.services.journal?.begin(this, provider, model);
  }
}

/** The context once the caller is known and the request parsed (the stages after parseRequest). */
export type ParsedContext = GatewayContext & { identity: Identity; request: CanonicalRequest };

/** The context once its route is resolved (the stages after resolveRoute). */
export type RoutedContext = ParsedContext & { route: ResolvedRoute };

export function isParsed(ctx: GatewayContext): ctx is ParsedContext {
  return ctx.identity !== undefined && ctx.request !== undefined;
}

export function isRouted(ctx: GatewayContext): ctx is RoutedContext {
  return isParsed(ctx) && ctx.route !== undefined;
}
