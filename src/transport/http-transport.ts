import { Agent, request, errors as undiciErrors } from "undici";

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
  body: AsyncIterable<Uint8Array>;
  /** Stops reading and closes the connection (the upstream stops generating). */
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

/** HTTP transport over undici's request API (no Fetch/WHATWG stream layers on the hot path). */
export class HttpTransport implements Transport {
  private readonly agents = new Map<number, Agent>();

  private agent(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 30_000, bodyTimeout: 0 });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  async send(spec: HttpRequestSpec, options: TransportOptions): Promise<UpstreamHttpResponse> {
    const res = await request(spec.url, {
      method: "POST",
      headers: spec.headers,
      body: spec.body,
      signal: options.signal,
      dispatcher: this.agent(options.connectTimeoutMs),
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: 0,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, destroy: () => res.body.destroy() };
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}
