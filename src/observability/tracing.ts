import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import type { ResolvedObservability, ResolvedProvider } from "../config/resolve.js";
import type { AttemptRecord, RequestRecord } from "../spec/request-record.js";
import { NANOS_PER_USD } from "../pricing/price-table.js";
import type { RecordFacts } from "./record-facts.js";
import { parseTraceparent } from "./traceparent.js";

/** What a request's spans are built from, once it is over. */
export interface TraceInput {
  record: RequestRecord;
  facts: RecordFacts;
  /** The caller's W3C `traceparent` header. */
  traceparent: string | undefined;
  operation: "chat" | "embeddings";
  /** The model name the client asked for. */
  requestModel: string | undefined;
  maxTokens: number | undefined;
  temperature: number | undefined;
}

/** GenAI semantic-convention provider names (gen_ai.provider.name) for each provider type. */
const GENAI_PROVIDER: Record<ResolvedProvider["type"], string | undefined> = {
  openai: "openai",
  "azure-openai": "azure.ai.openai",
  anthropic: "anthropic",
  google: "gcp.gemini",
  simulator: "tollgate.simulator",
  bedrock: "aws.bedrock",
  vertex: "gcp.vertex_ai",
  // Many vendors speak OpenAI's API: the provider's configured name says which.
  "openai-compatible": undefined,
};

function compact(attributes: Record<string, string | number | boolean | undefined>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Exports one SERVER span per request and one CLIENT span per upstream attempt over
 * OTLP/HTTP (JSON), built after the fact from the request record with its recorded
 * times: nothing runs on the request path. A provider of its own, never the global one.
 */
export class RequestTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(
    config: ResolvedObservability["traces"],
    private readonly providers: Record<string, ResolvedProvider>,
  ) {
    const exporter = new OTLPTraceExporter({ url: config.endpoint!, headers: config.headers });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": config.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer("tollgate");
  }

  export(input: TraceInput): void {
    const { record, facts } = input;
    const parent = parseTraceparent(input.traceparent);
    const parentContext = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const requestModel = input.requestModel ?? record.route;
    const span = this.tracer.startSpan(
      // Span names stay low-cardinality: a model name no route matched is only an attribute.
      record.route ? `${input.operation} ${record.route}` : input.operation,
      {
        kind: SpanKind.SERVER,
        startTime: record.startedAt,
        attributes: compact({
          "gen_ai.operation.name": input.operation,
          ...this.providerAttributes(facts.last?.provider),
          "gen_ai.request.model": requestModel,
          "gen_ai.response.model": facts.last?.status === "ok" ? facts.last.model : undefined,
          "gen_ai.request.max_tokens": input.maxTokens,
          "gen_ai.request.temperature": input.temperature,
          "gen_ai.usage.input_tokens": record.usage?.inputTokens,
          "gen_ai.usage.output_tokens": record.usage?.outputTokens,
          "http.response.status_code": record.status,
          "error.type": record.errorCode,
          "tollgate.request_id": record.id,
          "tollgate.route": record.route,
          "tollgate.api": record.api,
          "tollgate.stream": record.stream,
          "tollgate.outcome": record.outcome,
          "tollgate.attempts": record.attempts.length,
          "tollgate.retries": facts.retries,
          "tollgate.steps": facts.steps,
          "tollgate.fallback": facts.fallback,
          "tollgate.cost_usd": record.costNanos === undefined ? undefined : record.costNanos / NANOS_PER_USD,
          "tollgate.ttft_ms": record.ttftMs,
          "tollgate.cache_hit": record.cache?.kind,
        }),
      },
      parentContext,
    );
    if (record.outcome === "failed") span.setStatus({ code: SpanStatusCode.ERROR, ...(record.errorCode ? { message: record.errorCode } : {}) });
    const requestContext = trace.setSpan(ROOT_CONTEXT, span);
    for (const attempt of record.attempts) this.attemptSpan(input, attempt, requestContext);
    span.end(record.startedAt + record.latencyMs);
  }

  private attemptSpan(input: TraceInput, attempt: AttemptRecord, parent: ReturnType<typeof trace.setSpan>): void {
    const span = this.tracer.startSpan(
      `${input.operation} ${attempt.model}`,
      {
        kind: SpanKind.CLIENT,
        startTime: attempt.startedAt,
        attributes: compact({
          "gen_ai.operation.name": input.operation,
          ...this.providerAttributes(attempt.provider),
          "gen_ai.request.model": attempt.model,
          "gen_ai.response.model": attempt.status === "ok" ? attempt.model : undefined,
          "gen_ai.request.max_tokens": input.maxTokens,
          "gen_ai.request.temperature": input.temperature,
          "gen_ai.usage.input_tokens": attempt.usage?.inputTokens,
          "gen_ai.usage.output_tokens": attempt.usage?.outputTokens,
          "http.response.status_code": attempt.upstreamStatus,
          "error.type": attempt.errorCode,
          "tollgate.request_id": input.record.id,
          "tollgate.attempt": attempt.attempt,
          "tollgate.attempt.status": attempt.status,
          "tollgate.cost_usd": attempt.costNanos === undefined ? undefined : attempt.costNanos / NANOS_PER_USD,
          "tollgate.ttft_ms": attempt.ttftMs,
        }),
      },
      parent,
    );
    if (attempt.status === "error") span.setStatus({ code: SpanStatusCode.ERROR, ...(attempt.errorCode ? { message: attempt.errorCode } : {}) });
    span.end(attempt.startedAt + (attempt.durationMs ?? 0));
  }

  private providerAttributes(name: string | undefined): Record<string, string | undefined> {
    if (name === undefined) return {};
    const type = this.providers[name]?.type;
    const system = (type && GENAI_PROVIDER[type]) ?? name;
    return { "gen_ai.provider.name": system, "gen_ai.system": system, "tollgate.provider": name };
  }

  /** Exports what is buffered, then stops the exporter. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
