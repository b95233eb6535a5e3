import type { ResolvedRoute } from "../config/resolve.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { Identity } from "../spec/identity.js";
import type { AttemptRecord, RequestRecord, ToolCallRecord } from "../spec/request-record.js";
import type { ResponseSink } from "../spec/response-sink.js";
import type { InboundCodec, StreamEncoder } from "../apis/inbound-codec.js";
import type { CounterLine } from "../budgets/types.js";
import type { CachePlan } from "./cache-plan.js";
import type { GatewayServices } from "./services.js";
import type { OpenedUpstream } from "../engine/upstream-attempt.js";
import type { AnswerRecorder } from "../engine/answer-recorder.js";

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
