import { createHash } from "node:crypto";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import type { ProviderAdapter } from "./provider.js";
import type { HttpRequestSpec } from "../transport/http-transport.js";

/**
 * The key an upstream sees: a hash of the request's idempotency key (the client's scoped
 * key, or the request id) with the exact request built for this target. Building is pure,
 * so each retry of one attempt sends the same key, while another target, another step of a
 * multi-step answer, or another tenant gets its own (a provider that dedupes by key would
 * otherwise answer one with the other's result). Reveals neither the client's key nor its tenant.
 */
export function upstreamIdempotencyKey(base: string, spec: HttpRequestSpec): string {
  return `tg-${createHash("sha256").update(`${base}\n${spec.url}\n${spec.body}`).digest("hex")}`;
}

/** An adapter whose requests carry `header: <key>` whenever the request has an idempotency key. */
export function withUpstreamIdempotency(adapter: ProviderAdapter, header: string): ProviderAdapter {
  const keyed = (spec: HttpRequestSpec, request: CanonicalRequest): HttpRequestSpec =>
    request.idempotencyKey ? { ...spec, headers: { ...spec.headers, [header]: upstreamIdempotencyKey(request.idempotencyKey, spec) } } : spec;
  const wrapped: ProviderAdapter = { ...adapter, buildRequest: (request, model) => keyed(adapter.buildRequest(request, model), request) };
  const embed = adapter.buildEmbeddingRequest;
  if (embed) wrapped.buildEmbeddingRequest = (request, model) => keyed(embed(request, model), request);
  const choose = adapter.forRequest;
  if (choose) {
    // The format chosen for a request (Bedrock's Claude body) carries the key too.
    wrapped.forRequest = (request, model) => {
      const chosen = choose(request, model);
      if (chosen === adapter) return wrapped;
      const { forRequest: _chooses, ...own } = chosen;
      return withUpstreamIdempotency(own, header);
    };
  }
  return wrapped;
}
