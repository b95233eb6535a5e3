import { MAX_JSON_DEPTH, tooDeepAt } from "../json/json-depth.js";
import { topLevelMembers } from "../json/top-level-members.js";
import { InvalidRequestError } from "../errors/gateway-error.js";
import { UpstreamHttpError, UpstreamProtocolError } from "../errors/upstream-errors.js";
import type { Timeouts } from "../config/resolve.js";
import { adapterFor, type Provider, type ProviderAdapter } from "../providers/provider.js";
import type { UpstreamHttpResponse } from "../transport/http-transport.js";
import { joined, partsLength, readParts } from "../transport/upstream-body.js";
import type { AnswerApi, CanonicalRequest, WireApi } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { CanonicalEmbeddingResponse } from "../spec/embedding.js";
import type { Usage } from "../spec/usage.js";
import { estimatedEmbeddingUsage } from "../usage/embedding-tokens.js";
import { AttemptTimer } from "./attempt-timer.js";
import { parseRetryAfter } from "./retry-policy.js";
import { FrameReader } from "./frame-reader.js";
import { failureOf } from "./upstream-failure.js";
import { UpstreamStream } from "./upstream-stream.js";
import type { AnswerStream } from "./answer-stream.js";

/**
 * An upstream that answered; `api` is its wire format (the relay passes frames through when the client's matches).
 * `raw`: a whole body's bytes as the reads delivered them, sent on as they are when the client speaks `api`.
 */
export type OpenedUpstream =
  | { kind: "stream"; api: AnswerApi; stream: AnswerStream; ttftMs: number }
  /** `usage`: set when a large answer was read for its usage alone; `response` is then parsed when first read. */
  | { kind: "response"; api: AnswerApi; response: CanonicalResponse; raw: readonly Buffer[]; ttftMs: number; usage?: Usage }
  /** An embeddings answer (`request.embedding`); its usage is always set, estimated when the provider reported none. */
  | { kind: "embedding"; api: WireApi; response: CanonicalEmbeddingResponse & { usage: Usage }; raw: readonly Buffer[]; ttftMs: number };

type ResponseAnswer = Extract<OpenedUpstream, { kind: "response" }>;

const ERROR_BODY_LIMIT = 64 * 1024;
const RESPONSE_BODY_LIMIT = 64 * 1024 * 1024;
/** From this size an answer the adapter can read for its usage alone is parsed only if something reads it. */
const LARGE_ANSWER_BYTES = 64 * 1024;

/**
 * One attempt against one target, up to the point where the client may be answered:
 * the first content event of a stream, or the whole body otherwise. Anything that fails
 * before that point throws an upstream error the retry loop can act on.
 */
export async function openUpstream(provider: Provider, request: CanonicalRequest, model: string, timeouts: Timeouts, signal: AbortSignal): Promise<OpenedUpstream> {
  // Non-streamed answers send headers only when complete, so only connect and total apply.
  const timer = new AttemptTimer(timeouts, signal, request.stream ? { phase: "headers", limitMs: timeouts.headersMs } : undefined);
  let response: UpstreamHttpResponse | undefined;
  const adapter = adapterFor(provider.adapter, request, model);
  try {
    const spec = request.embedding ? embeddingAdapter(provider).buildEmbeddingRequest(request, model) : adapter.buildRequest(request, model);
    try {
      response = await provider.transport.send(spec, { signal: timer.signal, connectTimeoutMs: timeouts.connectMs, headersTimeoutMs: 0 });
    } catch (err) {
      throw failureOf(err, timer, timeouts);
    }
    if (response.status >= 400) {
      // The headers came: a stalled error body is an idle upstream, as a stalled stream is.
      if (request.stream) timer.phase("idle", timeouts.idleMs);
      const text = joined(await readBody(response, timer, ERROR_BODY_LIMIT, true)).toString("utf8");
      const fields = adapter.parseError(response.status, text, response.headers);
      // The Retry-After header when sent, else a hint in the body (Gemini's RetryInfo).
      throw new UpstreamHttpError(fields.status ?? response.status, fields.message, parseRetryAfter(response.headers) ?? fields.retryAfterMs, fields);
    }
    if (!request.stream) {
      const raw = await readBody(response, timer, RESPONSE_BODY_LIMIT, false);
      if (request.embedding) {
        const answer = embeddingAdapter(provider).parseEmbeddingResponse(parseBody(raw));
        timer.dispose();
        const usage = answer.usage ?? estimatedEmbeddingUsage(request.embedding.input);
        return { kind: "embedding", api: adapter.nativeApi, response: { ...answer, usage }, raw, ttftMs: performance.now() - timer.startedAt };
      }
      const arrivedAt = Date.now();
      timer.dispose();
      const ttftMs = performance.now() - timer.startedAt;
      if (partsLength(raw) >= LARGE_ANSWER_BYTES) {
        const large = largeAnswer(adapter, { kind: "response", api: adapter.nativeApi, raw, ttftMs }, arrivedAt);
        if (large) return large;
      }
      return { kind: "response", api: adapter.nativeApi, response: parseAnswer(adapter, raw, arrivedAt), raw, ttftMs };
    }
    timer.phase("first_token", timeouts.firstTokenMs, performance.now() - timer.startedAt);
    const stream = new UpstreamStream(new FrameReader(adapter), timer, response);
    // Holds frames until one carries content: a target that stalls after its role chunk
    // can still be abandoned for the next one, since the client has seen nothing.
    await stream.open();
    return { kind: "stream", api: adapter.nativeApi, stream, ttftMs: performance.now() - timer.startedAt };
  } catch (err) {
    timer.dispose();
    response?.destroy();
    throw err;
  }
}

function parseBody(raw: readonly Buffer[]): unknown {
  let json: unknown;
  try {
    json = JSON.parse(joined(raw).toString("utf8"));
  } catch {
    throw new UpstreamProtocolError("Upstream returned a body that is not JSON.");
  }
  // Whatever reads the answer later (a translation, a cache, a log) must not meet a stack overflow.
  if (tooDeepAt(json) !== undefined) throw new UpstreamProtocolError(`Upstream returned JSON nested more than ${MAX_JSON_DEPTH} levels deep.`);
  return json;
}

function parseAnswer(adapter: ProviderAdapter, raw: readonly Buffer[], arrivedAt: number): CanonicalResponse {
  const parsed = adapter.parseResponse(parseBody(raw));
  // Stamped once on arrival (see frame-reader.ts), so replays match the live answer.
  parsed.created ||= Math.floor(arrivedAt / 1000);
  return parsed;
}

/**
 * A large answer read for its usage alone: a client of the same API takes its bytes as they
 * came, so the copies and the parse of its text are paid only if a stage reads `response`
 * (a translation, a cache, structured output). Undefined when the adapter cannot tell its usage
 * that way or the body's structure is wrong: it is then parsed whole, and fails as any other.
 */
function largeAnswer(adapter: ProviderAdapter, opened: Omit<ResponseAnswer, "response">, arrivedAt: number): ResponseAnswer | undefined {
  const { raw } = opened;
  const members = adapter.largeAnswerUsage && topLevelMembers(raw);
  if (!members) return undefined;
  let found: { usage: Usage | undefined } | undefined;
  try {
    found = adapter.largeAnswerUsage!(members);
  } catch {
    return undefined;
  }
  if (!found) return undefined;
  let parsed: CanonicalResponse | undefined;
  // A getter in the literal itself: spreading one would read it.
  return {
    ...opened,
    ...(found.usage ? { usage: found.usage } : {}),
    get response() {
      parsed ??= parseAnswer(adapter, raw, arrivedAt);
      return parsed;
    },
  };
}

/** The provider's embedding methods; resolveRoute has already turned away routes whose targets lack them. */
function embeddingAdapter(provider: Provider): Required<Pick<ProviderAdapter, "buildEmbeddingRequest" | "parseEmbeddingResponse">> {
  const { buildEmbeddingRequest, parseEmbeddingResponse } = provider.adapter;
  if (!buildEmbeddingRequest || !parseEmbeddingResponse)
    throw new InvalidRequestError("embeddings_not_supported", `Provider "${provider.name}" (${provider.type}) does not serve embeddings.`, { param: "model" });
  return { buildEmbeddingRequest: buildEmbeddingRequest.bind(provider.adapter), parseEmbeddingResponse: parseEmbeddingResponse.bind(provider.adapter) };
}

const tooLarge = (max: number) => new UpstreamProtocolError(`Upstream response exceeds ${max} bytes.`);

async function readBody(response: UpstreamHttpResponse, timer: AttemptTimer, limit: number, truncate: boolean): Promise<Buffer[]> {
  try {
    return await readParts(response.body, () => response.destroy(), limit, truncate ? "truncate" : tooLarge);
  } catch (err) {
    throw failureOf(err, timer, timer.timeouts);
  }
}
