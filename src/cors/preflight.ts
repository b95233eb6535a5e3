import type { IncomingMessage, ServerResponse } from "node:http";
import type { KeyStore } from "../keys/key-store.js";
import { corsHeaders, gatewayAllowsOrigin } from "./origins.js";

const MAX_AGE_SECONDS = 600;

/**
 * Answers `OPTIONS` on any path without authentication (a preflight carries no key): 204,
 * with the CORS headers when the origin is the gateway's (`server.cors.origins`) or some
 * active key lists it (`allowed_origins`; read at most every `ttlMs` whatever the origin, so
 * made-up origins cost no query each). The actual request is then checked against its own
 * key (stages/check-origin.ts).
 */
export class Preflight {
  private keyOrigins: { origins: Promise<ReadonlySet<string>>; at: number } | undefined;

  constructor(
    private readonly origins: readonly string[],
    private readonly keyStore: () => Promise<KeyStore>,
    private readonly ttlMs = 5_000,
  ) {}

  async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    const headers: Record<string, string> = { allow: "GET, HEAD, POST, PATCH, DELETE, OPTIONS", "content-length": "0" };
    if (origin !== undefined && (await this.allows(origin))) {
      Object.assign(headers, corsHeaders(origin), {
        "access-control-allow-methods": "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
        // Whatever the page's SDK sends (authorization, x-goog-api-key, x-stainless-*, ...).
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "authorization, content-type",
        "access-control-max-age": String(MAX_AGE_SECONDS),
        vary: "Origin, Access-Control-Request-Headers",
      });
    }
    if (res.headersSent || res.destroyed) return;
    res.writeHead(204, headers);
    res.end();
  }

  private async allows(origin: string): Promise<boolean> {
    if (gatewayAllowsOrigin(this.origins, origin)) return true;
    const now = Date.now();
    if (!this.keyOrigins || now - this.keyOrigins.at >= this.ttlMs) {
      // A store that is down allows none: the page sees a failed preflight, not a hang.
      const origins = this.keyStore().then(
        (store) => store.allowedOrigins(now),
        () => new Set<string>(),
      );
      this.keyOrigins = { origins, at: now };
    }
    return (await this.keyOrigins.origins).has(origin);
  }
}
