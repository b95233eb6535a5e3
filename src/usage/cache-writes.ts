import type { CanonicalRequest } from "../spec/canonical-request.js";

/**
 * Whether a call may write the provider's prompt cache at the cache-write price: only
 * Anthropic charges more for a write, and only where the request marks blocks with
 * `cache_control` (which only its Messages API carries, forwarded as sent).
 */
export function mayWriteCache(request: CanonicalRequest): boolean {
  const { api, body } = request.inbound;
  if (api !== "anthropic-messages") return false;
  return [body.system, body.messages, body.tools].some(marksCache);
}

function marksCache(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(marksCache);
  if (value === null || typeof value !== "object") return false;
  if (Object.hasOwn(value, "cache_control")) return true;
  const content = (value as { content?: unknown }).content;
  return Array.isArray(content) && content.some(marksCache);
}
