import type { ResolvedConfig } from "../config/resolve.js";
import type { Redactor } from "../errors/redact.js";
import type { BreakerRegistry } from "../engine/breaker-registry.js";
import type { ObservedRequest } from "./observed-request.js";
import type { RequestRecord } from "../spec/request-record.js";
import { createLogger, flushLogger, lineWriterOf, SILENT_LOGGER, logDestination, type GatewayLogger, type LineWriter } from "./logger.js";
import { GatewayMetrics } from "./metrics.js";
import { factsOf } from "./record-facts.js";
import { requestLogFields } from "./request-log.js";
import type { RequestTracer, TraceInput } from "./tracing.js";

export interface ObservabilityOptions {
  /** A pino (or compatible) logger, or false for none; default: JSON lines to stderr at `observability.logs.level`. */
  logger?: GatewayLogger | false;
  /** Also receives each operational warning as text (the older hook). */
  log?: (message: string) => void;
}

/**
 * Logs, metrics and traces of one gateway: each request's record fans out to all three
 * once it is over. Tracing is loaded and started only when an endpoint is configured.
 */
export class Observability {
  readonly logger: GatewayLogger;
  readonly metrics: GatewayMetrics | undefined;
  private readonly tracer: Promise<RequestTracer | undefined> | undefined;
  private readonly writeLine: LineWriter | undefined;
  private readonly redact = (text: string) => this.redactor.redact(text);

  constructor(
    config: ResolvedConfig,
    breakers: BreakerRegistry,
    private readonly redactor: Redactor,
    private readonly options: ObservabilityOptions = {},
  ) {
    const { logs, metrics, traces } = config.observability;
    this.logger = options.logger === false ? SILENT_LOGGER : (options.logger ?? createLogger(logs.level, logDestination(logs.bufferBytes)));
    this.writeLine = lineWriterOf(this.logger);
    this.metrics = metrics.enabled ? new GatewayMetrics(config, breakers) : undefined;
    if (traces.endpoint) {
      this.tracer = import("./tracing.js").then(
        (m) => new m.RequestTracer(traces, config.providers),
        (err: unknown) => {
          this.warn("tracing", `Tracing is off: the OpenTelemetry exporter failed to load (${String(err)}).`);
          return undefined;
        },
      );
    }
  }

  /** An operational warning (store outages, failed settlements), redacted. */
  warn(component: string, message: string): void {
    const text = this.redactor.redact(message);
    this.logger.warn({ component }, text);
    this.options.log?.(text);
  }

  /** The request sink: one log line, the metrics, and the spans of a finished request. */
  record(record: RequestRecord, ctx: ObservedRequest): void {
    const facts = factsOf(record, ctx.route);
    this.metrics?.observe(record, ctx, facts);
    // A 5xx line is a warning: it still shows at level warn.
    const level = record.status >= 500 ? "warn" : "info";
    if (this.logger.isLevelEnabled?.(level) !== false) {
      const fields = requestLogFields(record, ctx, facts, this.redact);
      if (this.writeLine) this.writeLine(level, fields, "request");
      else this.logger[level](JSON.parse(`{${fields}}`) as object, "request");
    }
    if (this.tracer) {
      const input: TraceInput = {
        record,
        facts,
        operation: record.api === "openai-embeddings" || record.api === "gemini-embeddings" ? "embeddings" : "chat",
        traceparent: ctx.header("traceparent"),
        // The client's text: redacted like a log line.
        requestModel: ctx.request && this.redactor.redact(ctx.request.model),
        maxTokens: ctx.request?.maxOutputTokens,
        temperature: ctx.request?.temperature,
      };
      void this.tracer.then((t) => t?.export(input));
    }
  }

  /** Exports buffered spans and writes buffered log lines. */
  async close(): Promise<void> {
    await (await this.tracer)?.shutdown().catch((err: unknown) => this.warn("tracing", `Exporting the last spans failed: ${String(err)}`));
    await flushLogger(this.logger);
  }
}
