import type { CanonicalRequest, InboundApi } from "../spec/canonical-request.js";

/**
 * The body for an upstream that speaks the client's own API: the client's body as sent
 * (fields Tollgate does not model reach the provider unchanged), or, once the gateway
 * rewrote the request, the body built from the canonical fields with the client's
 * unmodelled top-level fields carried over. Undefined when the client spoke another API.
 */
export function sameFormatBody(request: CanonicalRequest, api: InboundApi, model: string, build: () => Record<string, unknown>): Record<string, unknown> | undefined {
  if (request.inbound.api !== api) return undefined;
  if (!request.rewritten) return { ...request.inbound.body, model };
  const body = build();
  // The client's tools unchanged: as sent (built-in tools, namespaces, cache_control and all), not as rebuilt.
  if (request.toolsAsParsed && request.toolsAsParsed.tools === request.tools) {
    for (const field of ["tools", "tool_choice"]) {
      if (Object.hasOwn(request.inbound.body, field)) body[field] = request.inbound.body[field];
      else delete body[field];
    }
  }
  // `user` is read for attribution only: no body builder writes it.
  for (const field of [...(request.dropped ?? []), "user"]) {
    if (Object.hasOwn(request.inbound.body, field) && !Object.hasOwn(body, field)) body[field] = request.inbound.body[field];
  }
  return body;
}
