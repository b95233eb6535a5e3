import { randomUUID } from "node:crypto";
import { anthropicMessagesCodec } from "../apis/anthropic-messages/codec.js";
import { parseMessagesRequest } from "../apis/anthropic-messages/parse-request.js";
import type { InboundCodec } from "../apis/inbound-codec.js";
import { StaticKeys } from "../auth/static-keys.js";
import { UpstreamHttpError } from "../errors/upstream-errors.js";
import type { Gateway, InboundRequest } from "../gateway.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";
import { countMessageTokens, countTextTokens } from "../usage/tokenizer.js";
import { compose, type Stage } from "./compose.js";
import { GatewayContext } from "./context.js";
import { authenticate } from "./stages/authenticate.js";
import { parseRequest } from "./stages/parse-request.js";
import { resolveRoute } from "./stages/resolve-route.js";
import { respondErrors } from "./stages/respond-errors.js";

/** A count_tokens body is a Messages body without max_tokens: parsed as one, kept as sent. */
export const countTokensCodec: InboundCodec = {
  ...anthropicMessagesCodec,
  parseRequest(body: unknown): CanonicalRequest {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return parseMessagesRequest(body);
    const request = parseMessagesRequest({ max_tokens: 1, ...body, stream: false });
    request.inbound.body = body as Record<string, unknown>;
    delete request.maxOutputTokens;
    return request;
  },
};

const COUNT_LIMIT_BYTES = 64 * 1024;

async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > COUNT_LIMIT_BYTES) break;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The tokenizer's count: the messages and each tool's definition as the model would read them. */
function estimate(request: CanonicalRequest): number {
  const tools = (request.tools ?? []).reduce((n, t) => n + countTextTokens(JSON.stringify({ name: t.name, description: t.description, input_schema: t.parameters })), 0);
  return countMessageTokens(request.messages) + tools;
}

/**
 * Answers the count: the upstream's own (Anthropic's count_tokens) when the route's first
 * target has one, else Tollgate's tokenizer count. `x-tollgate-token-count` says which.
 */
const countTokens: Stage<GatewayContext> = async (ctx) => {
  const request = ctx.request!;
  const target = ctx.route!.targets[0]!;
  const provider = ctx.services.providers.get(target.provider);
  const build = provider?.adapter.buildCountTokensRequest;
  let body: string;
  let source: "upstream" | "estimated";
  if (provider && build) {
    const response = await provider.transport.send(build(request, target.model), {
      signal: ctx.signal,
      connectTimeoutMs: ctx.route!.timeouts.connectMs,
      headersTimeoutMs: ctx.route!.timeouts.headersMs,
    });
    const text = await readAll(response.body);
    if (response.status !== 200) {
      const fields = provider.adapter.parseError(response.status, text);
      throw new UpstreamHttpError(response.status, fields.message, undefined, fields);
    }
    body = text;
    source = "upstream";
  } else {
    body = JSON.stringify({ input_tokens: estimate(request) });
    source = "estimated";
  }
  ctx.status = 200;
  ctx.sink.send(200, { ...ctx.responseHeaders, "content-type": "application/json", "x-tollgate-token-count": source }, body);
};

/** POST /v1/messages/count_tokens: authenticated and routed like a Messages request, neither metered nor budgeted (it generates nothing). */
export function createCountTokens(gateway: Gateway): (request: InboundRequest) => Promise<void> {
  const { config, services } = gateway;
  const pipeline = compose<GatewayContext>([
    respondErrors,
    authenticate(new StaticKeys(config.clientKeys), services.virtualKeys, services.orgs, !config.open),
    parseRequest,
    resolveRoute,
    countTokens,
  ]);
  return async (request) => {
    const controller = new AbortController();
    request.onClientGone(() => controller.abort());
    const ctx = new GatewayContext(`req_${randomUUID().replaceAll("-", "")}`, request.codec, request.headers, request.body, controller.signal, request.sink, services);
    if (request.query) ctx.query = request.query;
    if (request.readBody) ctx.readBody = request.readBody;
    await pipeline(ctx);
  };
}
