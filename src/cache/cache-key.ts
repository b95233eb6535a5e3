import { createHash } from "node:crypto";
import type { CanonicalRequest, Message } from "../spec/canonical-request.js";
import { stableJson } from "../json/stable-json.js";

/** Bumped whenever what goes into a key changes, so old entries are never matched by new requests. */
const KEY_VERSION = 1;

/** Inbound fields no canonical field carries that still never change the answer. */
const INERT_FIELDS = new Set(["user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier", "stream", "stream_options"]);

/**
 * Fields of the client's own API that the canonical request does not model (reasoning
 * effort, penalties, logit bias...) but that reach a same-format upstream: they may change
 * the answer, so they are part of the key, named as the client's API names them.
 */
function apiSpecificFields(request: CanonicalRequest): Record<string, unknown> | undefined {
  const body = request.inbound.body;
  const names = (request.dropped ?? []).filter((name) => Object.hasOwn(body, name) && !INERT_FIELDS.has(name)).sort();
  if (names.length === 0) return undefined;
  return { api: request.inbound.api, fields: Object.fromEntries(names.map((name) => [name, body[name]])) };
}

/**
 * What makes two requests expect the same answer: the route, the conversation, the tools and
 * every sampling parameter that shapes the output. Not `stream` (a stream replays as a body
 * and back), not attribution (`user`, metadata), not the inbound API (unless it carries
 * fields of its own, above).
 */
function keyMaterial(tenant: string, route: string, request: CanonicalRequest, messages: readonly (Message | null)[]): string {
  return stableJson({
    v: KEY_VERSION,
    tenant,
    route,
    messages,
    tools: request.tools,
    toolChoice: request.toolChoice,
    responseFormat: request.responseFormat,
    temperature: request.temperature,
    topP: request.topP,
    maxOutputTokens: request.maxOutputTokens,
    stop: request.stop,
    seed: request.seed,
    n: request.n,
    extra: apiSpecificFields(request),
  });
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The exact cache's key: SHA-256 of the tenant and the request's canonical, output-shaping fields. */
export function exactKey(tenant: string, route: string, request: CanonicalRequest): string {
  return sha256(keyMaterial(tenant, route, request, request.messages));
}

/** The text of the conversation's last turn when it is the user's and holds text only (an image or a tool result is not embedded). */
export function lastUserText(request: CanonicalRequest): string | undefined {
  const last = request.messages.at(-1);
  if (last?.role !== "user" || last.content === null) return undefined;
  if (typeof last.content === "string") return last.content.trim() || undefined;
  if (!last.content.every((part) => part.type === "text")) return undefined;
  return (
    last.content
      .map((part) => (part as { text: string }).text)
      .join("\n")
      .trim() || undefined
  );
}

/**
 * Where a semantic match may come from: the same tenant, route, earlier conversation and
 * parameters, differing only in the wording of the last user turn (which is what is embedded).
 */
export function semanticPartition(tenant: string, route: string, request: CanonicalRequest): string {
  return sha256(keyMaterial(tenant, route, request, [...request.messages.slice(0, -1), null]));
}
