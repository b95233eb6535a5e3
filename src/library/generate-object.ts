import { z } from "zod";
import { openaiChatCodec } from "../apis/openai-chat/codec.js";
import { InternalError, type ErrorType } from "../errors/gateway-error.js";
import { errorFromRendered } from "../errors/render.js";
import type { Identity, ResponseSink } from "../pipeline/context.js";
import { StructuredOutputInvalidError } from "../structured/structured-output-error.js";
import type { Violation } from "../structured/schema-validator.js";
import type { InboundRequest } from "../gateway.js";

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

/** Holds the one JSON answer of a non-streamed request run in-process. */
class CapturedResponse implements ResponseSink {
  status = 0;
  body = "";
  get headersSent() {
    return this.status !== 0;
  }
  send(status: number, _headers: Record<string, string>, body: string | Buffer): void {
    this.status = status;
    this.body = body.toString();
  }
  openStream(): void {
    throw new InternalError(new Error("generateObject asked for a JSON answer and got a stream."));
  }
  write(): undefined {
    return undefined;
  }
  end(): void {}
}

interface WireError {
  error: { message: string; type: ErrorType; code: string; param: string | null } & Record<string, unknown>;
}

function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/**
 * A typed object from a route: the same pipeline as `POST /v1/chat/completions` with a
 * JSON Schema (budgets, repairs, fallback, metering), run in-process. Throws the
 * gateway's error (422 `structured_output_invalid` with `exposed.violations`, 429, ...).
 */
export async function generateObject<S extends z.ZodType>(handle: (request: InboundRequest) => Promise<void>, options: GenerateObjectOptions<S>): Promise<z.output<S>> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(options.schema, { io: "input" }) as Record<string, unknown>;
  const body = {
    model: options.model,
    messages: options.messages,
    response_format: { type: "json_schema", json_schema: { name: options.name ?? "response", schema } },
    ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
  };
  const sink = new CapturedResponse();
  await handle({
    codec: openaiChatCodec,
    headers: options.headers ?? {},
    body,
    sink,
    onClientGone: (cancel) => options.signal?.addEventListener("abort", cancel, { once: true }),
    ...(options.identity ? { identity: options.identity } : {}),
  });
  if (sink.status !== 200) {
    throw errorFromRendered(sink.status, (JSON.parse(sink.body) as WireError).error);
  }
  const completion = JSON.parse(sink.body) as { choices: { message: { content: string | null } }[] };
  const value: unknown = JSON.parse(completion.choices[0]?.message.content ?? "null");
  // The JSON Schema cannot say everything a zod schema can (refinements, transforms).
  const parsed = options.schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const violations: Violation[] = parsed.error.issues.map((i) => ({ path: pointer(i.path), message: i.message }));
  throw new StructuredOutputInvalidError(violations, 1);
}
