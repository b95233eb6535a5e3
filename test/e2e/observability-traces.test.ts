import { afterEach, describe, expect, test } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.js";
import { postSse } from "../support/sse-client.js";

const sim = { type: "simulator", ttftMs: 0, tokensPerSecond: 100_000, answerTokens: 8 } as const;
const PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";
const SERVER = 2;
const CLIENT = 3;

function config(traces: Record<string, unknown> | undefined): ConfigInput {
  return {
    providers: { sim, down: sim },
    prices: { "sim-b": { input: 1, output: 2 } },
    models: {
      // The first target fails (500), the second answers: one request, two attempt spans.
      fb: {
        retry: { maxRetries: 0 },
        targets: [
          { provider: "down", model: "sim+500" },
          { provider: "sim", model: "sim-b" },
        ],
      },
    },
    ...(traces ? { observability: { traces } } : {}),
  };
}

let receiver: OtlpReceiver | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await receiver?.close();
  gw = receiver = undefined;
});

const chat = (headers: Record<string, string> = {}, body: Record<string, unknown> = {}) =>
  postSse(`${gw!.baseURL}/chat/completions`, { model: "fb", messages: [{ role: "user", content: "hello" }], ...body }, headers);

describe("OpenTelemetry traces", () => {
  test("one SERVER span per request, a CLIENT child per attempt, GenAI attributes, the caller's traceparent as parent", async () => {
    receiver = await startOtlpReceiver();
    gw = await startGateway(config({ endpoint: receiver.endpoint, headers: { "x-collector-token": "env:OTLP_TOKEN" }, serviceName: "tollgate-test" }), { env: { OTLP_TOKEN: "otlp-token-Xy12Ab34" } });
    const parented = await chat({ traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` }, { max_tokens: 40, temperature: 0.5, stream: true });
    const fresh = await chat();
    const unsampled = await chat({ traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-00` });
    const unknown = await chat({}, { model: "made-up-model" });
    expect([parented.status, fresh.status, unsampled.status, unknown.status]).toEqual([200, 200, 200, 404]);
    const [record] = await Promise.all([gw.recordOf(parented.headers["x-request-id"]), gw.recordOf(fresh.headers["x-request-id"]), gw.recordOf(unsampled.headers["x-request-id"])]);
    // close() exports what the batch processor still holds.
    await gw.close();

    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(receiver.exports.every((h) => h["x-collector-token"] === "otlp-token-Xy12Ab34")).toBe(true);
    const spansOf = (id: unknown) => {
      const server = receiver!.spans.find((s) => s.kind === SERVER && s.attributes["tollgate.request_id"] === id);
      return {
        server,
        attempts: receiver!.spans
          .filter((s) => s.kind === CLIENT && s.attributes["tollgate.request_id"] === id)
          .sort((a, b) => Number(a.attributes["tollgate.attempt"]) - Number(b.attributes["tollgate.attempt"])),
      };
    };

    // The caller's trace continues through the gateway.
    const { server, attempts } = spansOf(parented.headers["x-request-id"]);
    expect(server).toBeDefined();
    const root = server as ReceivedSpan;
    expect(root.traceId).toBe(PARENT_TRACE);
    expect(root.parentSpanId).toBe(PARENT_SPAN);
    expect(root.name).toBe("chat fb");
    expect(root.resource["service.name"]).toBe("tollgate-test");
    expect(root.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.system": "tollgate.simulator",
      "gen_ai.provider.name": "tollgate.simulator",
      "gen_ai.request.model": "fb",
      "gen_ai.response.model": "sim-b",
      "gen_ai.request.max_tokens": 40,
      "gen_ai.request.temperature": 0.5,
      "gen_ai.usage.input_tokens": record!.usage!.inputTokens,
      "gen_ai.usage.output_tokens": record!.usage!.outputTokens,
      "http.response.status_code": 200,
      "tollgate.route": "fb",
      "tollgate.stream": true,
      "tollgate.fallback": true,
      "tollgate.attempts": 2,
    });
    expect(root.attributes["tollgate.cost_usd"]).toBeCloseTo(record!.costNanos! / 1e9, 12);
    // The span covers the recorded latency (times are rebuilt from the record).
    expect(Math.abs(Number(BigInt(root.endTimeUnixNano) - BigInt(root.startTimeUnixNano)) / 1e6 - record!.latencyMs)).toBeLessThan(1);

    expect(attempts.map((a) => [a.name, a.traceId, a.parentSpanId])).toEqual([
      ["chat sim+500", PARENT_TRACE, root.spanId],
      ["chat sim-b", PARENT_TRACE, root.spanId],
    ]);
    expect(attempts[0]!.attributes).toMatchObject({
      "tollgate.attempt.status": "error",
      "error.type": record!.attempts[0]!.errorCode,
      "http.response.status_code": 500,
      "gen_ai.request.model": "sim+500",
    });
    expect(attempts[0]!.status?.code).toBe(2);
    expect(attempts[1]!.attributes).toMatchObject({ "tollgate.attempt.status": "ok", "gen_ai.response.model": "sim-b", "gen_ai.usage.output_tokens": record!.usage!.outputTokens });
    // Each attempt lies within the request.
    for (const a of attempts) {
      expect(BigInt(a.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(root.startTimeUnixNano));
      expect(BigInt(a.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(root.endTimeUnixNano) + 1_000_000n);
    }

    // Without a traceparent the request starts its own trace.
    const own = spansOf(fresh.headers["x-request-id"]).server!;
    expect(own.traceId).not.toBe(PARENT_TRACE);
    expect(own.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(own.parentSpanId ?? "").toBe("");

    // A caller that did not sample its trace gets none from the gateway either.
    const skipped = spansOf(unsampled.headers["x-request-id"]);
    expect(skipped.server).toBeUndefined();
    expect(skipped.attempts).toEqual([]);
    // A model no route matched: an error span whose name does not carry the client's text.
    const lost = spansOf(unknown.headers["x-request-id"]);
    expect(lost.server).toMatchObject({ name: "chat", status: { code: 2 }, attributes: { "gen_ai.request.model": "made-up-model", "http.response.status_code": 404, "tollgate.outcome": "failed" } });
    expect(lost.server!.attributes["error.type"]).toEqual(expect.any(String));
    expect(lost.attempts).toEqual([]);
    expect(receiver.spans).toHaveLength(7);
  });

  test("without an endpoint nothing connects anywhere", async () => {
    receiver = await startOtlpReceiver();
    // OTEL_* variables must not switch tracing on by themselves either.
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint.replace("/v1/traces", "");
    try {
      gw = await startGateway(config(undefined));
      for (let i = 0; i < 3; i++) expect((await chat({ traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` }, { stream: i % 2 === 0 })).status).toBe(200);
      await gw.close();
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    }
    expect(receiver.connections()).toBe(0);
    expect(receiver.spans).toEqual([]);
  });
});
