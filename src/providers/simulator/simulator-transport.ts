import type { ResolvedProvider } from "../../config/resolve.js";
import type { HttpRequestSpec } from "../../transport/http-transport.js";
import type { Transport, TransportOptions, UpstreamHttpResponse } from "../../transport/http-transport.js";
import { iterableBody } from "../../transport/upstream-body.js";
import { interruptible, waitForAbort } from "./abort.js";
import { realClock, type SimulatorClock } from "./clock.js";
import { collectCompletion } from "./completion-body.js";
import { planCompletion, randomId, type CompletionPlan } from "./completion-plan.js";
import { connectionReset, headersTimeout } from "./connection-errors.js";
import { badRequestResponse, errorResponse, statusFaultResponse } from "./error-response.js";
import { activeFault, effectiveFault, type ActiveFault } from "./faults.js";
import { parseSimRequest, SimRequestError, type SimRequest } from "./request.js";
import { simulatedEmbeddings } from "./embeddings.js";
import { bytesBody, utf8 } from "./response-body.js";
import { streamBody } from "./stream-body.js";

export type SimulatorConfig = Extract<ResolvedProvider, { type: "simulator" }>;

type BodyFault = ActiveFault & { kind: "stall" | "cut" | "malformed" };

function commonHeaders(requestId: string, contentType: string): Record<string, string> {
  return { "content-type": contentType, "x-request-id": requestId, "x-tollgate-simulator": "true" };
}

/** Sleeps on the clock; an abort rejects with the caller's own reason, as undici does. */
async function pause(clock: SimulatorClock, ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  try {
    await clock.sleep(ms, signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

/**
 * An in-process OpenAI Chat Completions server behind the Transport interface: the
 * OpenAI chat adapter talks to it exactly as to a real upstream.
 */
export class SimulatorTransport implements Transport {
  private calls = 0;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly clock: SimulatorClock = realClock,
  ) {}

  async send(spec: HttpRequestSpec, options: TransportOptions): Promise<UpstreamHttpResponse> {
    const call = this.calls++;
    options.signal.throwIfAborted();
    const requestId = randomId("req_sim_");
    if (spec.url.endsWith("/embeddings")) return this.embeddings(spec, options, call, requestId);
    let request: SimRequest;
    let plan: CompletionPlan;
    try {
      request = parseSimRequest(typeof spec.body === "string" ? spec.body : String(spec.body));
    } catch (err) {
      return this.failure(err, requestId);
    }

    const fault = activeFault(effectiveFault(request.model, this.config.fault), call);
    if (fault?.kind === "status") return statusFaultResponse(fault.status, fault.retryAfterSeconds, request.model, requestId);
    if (fault?.kind === "hang") return this.hang(options);

    try {
      plan = planCompletion(request, this.config.answerTokens);
    } catch (err) {
      return this.failure(err, requestId);
    }
    const ctx = { id: randomId("chatcmpl-sim"), created: Math.floor(Date.now() / 1000), model: request.model, includeUsage: request.includeUsage };
    if (request.stream) {
      const destroyed = new AbortController();
      const body = iterableBody(streamBody({ ctx, plan, pacing: this.config, clock: this.clock, signal: options.signal, destroyed: destroyed.signal, ...(fault ? { fault } : {}) }));
      return { status: 200, headers: { ...commonHeaders(requestId, "text/event-stream; charset=utf-8"), "cache-control": "no-cache" }, body, destroy: () => destroyed.abort() };
    }

    // Not streamed: like a real server, nothing arrives until the whole answer is generated.
    const { body, rounds } = collectCompletion(ctx, plan);
    const perToken = this.config.tokensPerSecond ? 1000 / this.config.tokensPerSecond : 0;
    const delay = this.config.ttftMs + Math.max(0, rounds - 1) * perToken;
    if (options.headersTimeoutMs > 0 && delay > options.headersTimeoutMs) {
      await pause(this.clock, options.headersTimeoutMs, options.signal);
      throw headersTimeout();
    }
    await pause(this.clock, delay, options.signal);
    const headers = commonHeaders(requestId, "application/json");
    if (fault) return { status: 200, headers, ...this.faultyJsonBody(body, fault, options.signal) };
    return { status: 200, headers, ...bytesBody(body) };
  }

  /** A deterministic embeddings answer after the time to first token; status and hang faults apply. */
  private async embeddings(spec: HttpRequestSpec, options: TransportOptions, call: number, requestId: string): Promise<UpstreamHttpResponse> {
    let answer: { model: string; body: string };
    try {
      answer = simulatedEmbeddings(typeof spec.body === "string" ? spec.body : String(spec.body));
    } catch (err) {
      return this.failure(err, requestId);
    }
    const fault = activeFault(effectiveFault(answer.model, this.config.fault), call);
    if (fault?.kind === "status") return statusFaultResponse(fault.status, fault.retryAfterSeconds, answer.model, requestId);
    if (fault?.kind === "hang") return this.hang(options);
    await pause(this.clock, this.config.ttftMs, options.signal);
    return { status: 200, headers: commonHeaders(requestId, "application/json"), ...bytesBody(answer.body) };
  }

  /** Headers never come: rejects with the caller's reason, or undici's headers timeout when one is set. */
  private async hang(options: TransportOptions): Promise<never> {
    if (options.headersTimeoutMs > 0) {
      await pause(this.clock, options.headersTimeoutMs, options.signal);
      throw headersTimeout();
    }
    return waitForAbort(options.signal);
  }

  private faultyJsonBody(body: string, fault: BodyFault, signal: AbortSignal): Pick<UpstreamHttpResponse, "body" | "destroy"> {
    if (fault.kind === "malformed") return bytesBody("{not json");
    const destroyed = new AbortController();
    const bytes = utf8(body);
    async function* faulty(): AsyncGenerator<Uint8Array, void, undefined> {
      if (fault.kind === "cut") {
        yield bytes.subarray(0, Math.floor(bytes.length / 2));
        if (signal.aborted) throw signal.reason;
        if (destroyed.signal.aborted) return;
        throw connectionReset();
      }
      await interruptible(waitForAbort(AbortSignal.any([signal, destroyed.signal])), signal, destroyed.signal);
    }
    return { body: iterableBody(faulty()), destroy: () => destroyed.abort() };
  }

  /** A request the simulator cannot answer: 400 for a bad request, 500 for its own bug. */
  private failure(err: unknown, requestId: string): UpstreamHttpResponse {
    if (err instanceof SimRequestError) return badRequestResponse(err.message, err.param, requestId);
    const message = `The Tollgate simulator failed: ${err instanceof Error ? err.message : String(err)}`;
    return errorResponse(500, { message, type: "server_error", param: null, code: null }, requestId);
  }
}
