import type { ResolvedConfig, ResolvedRoute } from "../config/resolve.js";
import type { Redactor } from "../errors/redact.js";
import type { Provider } from "../providers/provider.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { Usage } from "../spec/usage.js";
import type { KeyLimits } from "../keys/types.js";
import type { InboundCodec, StreamEncoder } from "../apis/inbound-codec.js";
import type { BreakerRegistry } from "./breaker-registry.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { Sql } from "../store/sql.js";
import type { KeyStore } from "../keys/key-store.js";
import type { VirtualKeys } from "../keys/virtual-keys.js";
import type { OrgDirectory } from "../orgs/org-directory.js";
import type { BudgetStore, CounterLine } from "../budgets/types.js";
import type { OpenedUpstream } from "./upstream-attempt.js";
import type { AnswerRecorder } from "./answer-recorder.js";
import type { GatewayLogger } from "../observability/logger.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { ResponseCache } from "../cache/response-cache.js";
import type { ToolServices } from "../tools/tool-services.js";

/** Who is calling, as established by key auth or the host application's hook. */
export interface Identity {
  keyId: string;
  userId?: string;
  teamId?: string;
  /** The application's own end user, from `x-tollgate-end-user` or the body's `user`. */
  endUser?: string;
  /** The key's tags merged with the request's `x-tollgate-tags`. */
  tags?: Record<string, string>;
  /** Route names the key may use; undefined means all. */
  allowedModels?: string[];
  /** Browser origins the key may be used from besides the gateway's (`allowed_origins`). */
  allowedOrigins?: string[];
  limits?: KeyLimits;
  /** The budgets of the key's user and team records, over all their keys. */
  userLimits?: KeyLimits;
  teamLimits?: KeyLimits;
}

/** Where the pipeline writes its answer; the server transport implements it over node:http. */
export interface ResponseSink {
  readonly headersSent: boolean;
  send(status: number, headers: Record<string, string>, body: string | Buffer): void;
  /** Sends 200 and event-stream headers, with the first frame written (at once). */
  openStream(headers: Record<string, string>): void;
  /** Writes one frame; returns a promise when the client is slow and the caller must wait. */
  write(frame: string): Promise<void> | undefined;
  /** Ends the response, writing `lastFrame` with the end in one go. */
  end(lastFrame?: string): void;
}

export interface AttemptRecord {
  /** 1-based, across all targets of the route. */
  attempt: number;
  /** 1-based model call of the request this attempt serves (a tool loop's or a repair's later steps); absent: 1. */
  step?: number;
  provider: string;
  model: string;
  startedAt: number;
  durationMs?: number;
  ttftMs?: number;
  status: "pending" | "ok" | "error" | "cancelled";
  errorCode?: string;
  upstreamStatus?: number;
  usage?: Usage;
  /** Nano-dollars (1e-9 USD), from the price table at the time of the call. */
  costNanos?: number;
}

/** "interrupted": the gateway process died while the request was upstream; recorded at the next start, usage estimated (docs/accounting.md#what-a-crash-costs). */
export type RequestOutcome = "complete" | "failed" | "cancelled" | "interrupted";

/** One server-side tool call of a tool loop (docs/tools.md). */
export interface ToolCallRecord {
  /** 1-based model call whose answer asked for it. */
  step: number;
  /** 0-based position among that answer's calls. */
  position: number;
  /** The name the model used (refused calls keep whatever it asked for). */
  name: string;
  status: "ok" | "refused" | "error";
  errorCode?: string;
  /** The result was stored from an earlier run of the same call (a retried request): nothing ran. */
  reused?: boolean;
  startedAt: number;
  durationMs: number;
}

/** What the gateway knows about a request once it is over: the ledger's input. */
export interface RequestRecord {
  id: string;
  api: CanonicalRequest["inbound"]["api"];
  startedAt: number;
  route?: string;
  identity?: Identity;
  stream: boolean;
  status: number;
  outcome: RequestOutcome;
  errorCode?: string;
  attempts: AttemptRecord[];
  /** The usage of the attempt that answered (reported, or estimated and marked so). */
  usage?: Usage;
  /** Nano-dollars (1e-9 USD) for the whole request. */
  costNanos?: number;
  latencyMs: number;
  ttftMs?: number;
  /** Set when the answer came from the gateway's cache or an idempotent replay instead of an upstream call. */
  cache?: { kind: "exact" | "semantic" | "idempotent"; savedNanos: number; similarity?: number; ageMs?: number };
  /** Server-side tool calls, when the route runs a tool loop. */
  toolCalls?: ToolCallRecord[];
}

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
}
