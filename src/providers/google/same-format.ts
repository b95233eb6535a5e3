import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { sameFormatBody } from "../same-format-body.js";
import { isObject } from "./wire.js";

type Json = Record<string, unknown>;

/** Once rewritten, the client's generationConfig fields and non-function tools that no canonical field carries (thinkingConfig, googleSearch, ...) are carried over. */
function carryNested(body: Json, inbound: Json): void {
  if (isObject(inbound.generationConfig)) {
    const generation: Json = isObject(body.generationConfig) ? body.generationConfig : {};
    for (const [key, value] of Object.entries(inbound.generationConfig)) if (!Object.hasOwn(generation, key)) generation[key] = value;
    if (Object.keys(generation).length > 0) body.generationConfig = generation;
  }
  if (Array.isArray(inbound.tools)) {
    const builtIn = inbound.tools.filter((t) => isObject(t) && t.functionDeclarations == null);
    if (builtIn.length > 0) body.tools = [...(Array.isArray(body.tools) ? body.tools : []), ...builtIn];
  }
}

/**
 * The generateContent body for a Gemini client's request: its own body (the model is in the
 * URL, not the body), or, once the gateway rewrote the request, the built body with the
 * client's unmodelled fields carried over. Undefined when the client spoke another API.
 */
export function geminiSameFormatBody(request: CanonicalRequest, model: string, build: () => Json): Json | undefined {
  const same = sameFormatBody(request, "gemini", model, build);
  if (!same) return undefined;
  const { model: _inUrl, ...body } = same;
  if (request.rewritten) carryNested(body, request.inbound.body);
  return body;
}

/** An embeddings request from a Gemini client: each request's own fields (taskType, title, ...) beside the content Tollgate reads. */
export function geminiEmbedExtras(request: CanonicalRequest, i: number): Json {
  if (request.inbound.api !== "gemini-embeddings") return {};
  const body = request.inbound.body;
  const source = Array.isArray(body.requests) ? body.requests[i] : body;
  if (!isObject(source)) return {};
  const { model: _model, content: _content, ...extras } = source;
  return extras;
}
