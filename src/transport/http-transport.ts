import { Agent, type Dispatcher, errors as undiciErrors } from "undici";
import type { BodyListener, UpstreamBody } from "./upstream-body.js";

/** One upstream HTTP call as a provider adapter builds it. */
export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface TransportOptions {
  signal: AbortSignal;
  connectTimeoutMs: number;
  /** Limit on the wait for response headers; 0 for none. */
  headersTimeoutMs: number;
}

export interface UpstreamHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
  /** Stops reading and closes the connection (the upstream stops generating); nothing once the body ended. */
  destroy(): void;
}

/** Carries a request to an upstream. The only place provider traffic does I/O. */
export interface Transport {
  send(spec: HttpRequestSpec, options: TransportOptions): Promise<UpstreamHttpResponse>;
}

/**
 * Adds what must be fetched or computed for each request just before it is sent: an AWS
 * Signature V4 over the final URL and body, an OAuth access token. Adapters stay pure.
 */
export type RequestAuthorizer = (spec: HttpRequestSpec) => Promise<HttpRequestSpec>;

/** The transport, each request authorized first. */
export function authorizedTransport(inner: Transport, authorize: RequestAuthorizer): Transport {
  return { send: async (spec, options) => inner.send(await authorize(spec), options) };
}

export type ConnectFailure = "connect_timeout" | "headers_timeout" | "connection";

/** Classifies undici's errors into the phases the retry policy cares about. */
export function classifyTransportError(err: unknown): ConnectFailure {
  if (err instanceof undiciErrors.ConnectTimeoutError) return "connect_timeout";
  if (err instanceof undiciErrors.HeadersTimeoutError) return "headers_timeout";
  return "connection";
}

const MAX_TARGETS = 256;

/**
 * HTTP transport over undici's dispatcher: the handler is the response and its body, with no
 * stream object, promise per read or Fetch layer between the socket's bytes and the engine.
 */
export class HttpTransport implements Transport {
  private readonly agents = new Map<number, Agent>();
  /**
   * Origin and path by URL: a provider calls the same few URLs, and parsing one (a URL object
   * and its strings) was a request's largest allocation here. Cleared when full (a provider with
   * a URL per request, such as a model in the path, still parses each once).
   */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  private agent(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 30_000, bodyTimeout: 0 });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  send(spec: HttpRequestSpec, options: TransportOptions): Promise<UpstreamHttpResponse> {
    const { signal } = options;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const { origin, path } = this.target(spec.url);
      const call = new Call(signal, resolve, reject);
      const opts = { origin, path, method: "POST" as const, headers: spec.headers, body: spec.body, headersTimeout: options.headersTimeoutMs, bodyTimeout: 0 };
      this.agent(options.connectTimeoutMs).dispatch(opts, call);
    });
  }

  private target(url: string): { origin: string; path: string } {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      this.targets.set(url, target);
    }
    return target;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}

/**
 * One request's handler, and once the headers came its response body. The body is paused from
 * the headers until a listener comes (undici keeps the bytes in the socket meanwhile), so
 * nothing is buffered here; an error in that gap waits for the listener.
 */
class Call implements Dispatcher.DispatchHandler, UpstreamBody {
  private controller: Dispatcher.DispatchController | undefined;
  private listener: BodyListener | undefined;
  private responded = false;
  private failure: { err: unknown } | undefined;
  /** An abort of the caller's signal aborts the request, whatever its phase. */
  private readonly onAbort = () => {
    this.controller?.abort(this.signal.reason);
    // Not yet handed to a connection: the caller need not wait for one to hear of its own abort.
    if (!this.responded) this.reject(this.signal.reason);
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolve: (response: UpstreamHttpResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.responded = true;
    controller.pause();
    this.resolve({ status: statusCode, headers, body: this, destroy: () => controller.abort(new undiciErrors.RequestAbortedError()) });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.listener!.data(chunk);
  }

  onResponseEnd(): void {
    this.signal.removeEventListener("abort", this.onAbort);
    this.listener!.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.signal.removeEventListener("abort", this.onAbort);
    if (!this.responded) this.reject(err);
    else if (this.listener) this.listener.error(err);
    else this.failure = { err };
  }

  listen(listener: BodyListener): void {
    this.listener = listener;
    if (this.failure) listener.error(this.failure.err);
    else this.controller!.resume();
  }

  pause(): void {
    this.controller!.pause();
  }

  resume(): void {
    this.controller!.resume();
  }
}
