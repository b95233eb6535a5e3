import { z } from "zod";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { InternalError } from "../errors/gateway-error.js";
import type { Identity } from "../spec/identity.js";
import type { ResponseSink } from "../spec/response-sink.js";
import { StructuredOutputInvalidError } from "../structured/structured-output-error.js";
import type { Violation } from "../structured/schema-validator.js";
import type { GatewayContext } from "../stages/context.js";
import type { InboundRequest } from "../stages/inbound-request.js";

/** A message in Chat Completions form. */
export interface ObjectMessage {
  role: "system" | "developer" | "user" | "assistant";
  content: string;
}

export interface GenerateObjectOptions<S extends z.ZodType> {
  /** A route name from the config. */
  model: string;
  messages: ObjectMessage[];
  /** What the answer must be: sent as its JSON Schema (the schema's input side), the answer parsed with it. */
  schema: S;
  /** The schema's name as providers see it (default "response"). */
  name?: string;
  maxTokens?: number;
  temperature?: number;
  /** Who is asking, used as is (no key, no identify hook); else `headers` go through the gateway's authentication. */
  identity?: Identity;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** An in-process caller reads the answer from the context, not from bytes: the sink only keeps what HTTP would have sent. */
class DiscardingSink implements ResponseSink {
  headersSent = false;
  send(): void {
    this.headersSent = true;
  }
  openStream(): void {
    throw new InternalError(new Error("generateObject asked for a complete answer and got a stream."));
  }
  write(): undefined {
    return undefined;
  }
  end(): void {}
}

function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/**
 * A typed object from a route: the same pipeline as `POST /v1/chat/completions` with a
 * JSON Schema (budgets, repairs, fallback, metering), run in-process on the canonical
 * request. Throws the gateway's own error, with its class, headers (`Retry-After`) and
 * cause (422 `structured_output_invalid` with `exposed.violations`, 429, ...).
 */
export async function generateObject<S extends z.ZodType>(run: (request: InboundRequest) => Promise<GatewayContext>, options: GenerateObjectOptions<S>): Promise<z.output<S>> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(options.schema, { io: "input" }) as Record<string, unknown>;
  const body = {
    model: options.model,
    messages: options.messages,
    response_format: { type: "json_schema", json_schema: { name: options.name ?? "response", schema } },
    ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
  };
  const ctx = await run({
    codec: openaiChatCodec,
    headers: options.headers ?? {},
    body,
    sink: new DiscardingSink(),
    onClientGone: (cancel) => options.signal?.addEventListener("abort", cancel, { once: true }),
    ...(options.identity ? { identity: options.identity } : {}),
  });
  if (ctx.error !== undefined) throw ctx.error;
  const upstream = ctx.upstream;
  if (upstream?.kind !== "response") throw new InternalError(new Error(`generateObject expected a complete answer, got ${upstream?.kind ?? "none"}.`));
  const value: unknown = JSON.parse(upstream.response.choices[0]?.text ?? "null");
  // The JSON Schema cannot say everything a zod schema can (refinements, transforms).
  const parsed = options.schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const violations: Violation[] = parsed.error.issues.map((i) => ({ path: pointer(i.path), message: i.message }));
  throw new StructuredOutputInvalidError(violations, 1);
}
