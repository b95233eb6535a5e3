import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOrderService, type OrderService } from "../../examples/order-service/order-service.mjs";
import type { ConfigInput } from "../../src/config/schema.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { parsePrometheusText, sumOf } from "../support/prometheus-text.js";
import { answerFromToolResult, textAnswer, textStall, toolCallAnswer, toolMessages } from "../support/tool-answers.js";

// The seed article's get_order_status example, end to end: an OpenAI SDK client, the
// gateway running the tool loop, a fake model replaying recorded tool-call answers over
// a real socket, and a real order service (node:http + SQLite) the HTTP tools call.

const UP_KEY = "sk-tools-upstream-key-0123456789";
const ORDER_KEY = "order-service-secret-4f9a1c";
const ORDER_ID = { type: "string", pattern: "^[A-Z]-[0-9]{4}$" };
const orderArgs = { type: "object", properties: { order_id: ORDER_ID }, required: ["order_id"], additionalProperties: false };

let orders: OrderService;
let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

function config(): ConfigInput {
  const tool = (path: string, method: "GET" | "POST" = "GET") => ({
    type: "http" as const,
    description: `Order service ${method} ${path}`,
    parameters: orderArgs,
    method,
    url: `${orders.url}${path}`,
    allowPrivateNetwork: true,
  });
  return {
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "env:UP_KEY" } },
    tools: {
      get_order_status: { ...tool("/orders/{order_id}"), description: "Look up the status of a customer order by ID" },
      charge_order: tool("/orders/{order_id}/charge", "POST"),
      // Defined, but on no route's list: the model may not call it.
      cancel_order: tool("/orders/{order_id}/cancel", "POST"),
      // The same reachable service without allowPrivateNetwork: the SSRF guard refuses it.
      unguarded_status: { ...tool("/orders/{order_id}"), url: `${orders.url.replace("127.0.0.1", "localhost")}/orders/{order_id}`, allowPrivateNetwork: false },
      // A service that echoes its credential in an error (the fake upstream plays it).
      leaky_status: { ...tool("/orders/{order_id}"), url: `${upstream.origin}/leak/{order_id}`, headers: { "x-order-key": "env:ORDER_KEY" } },
    },
    models: {
      support: {
        targets: [
          { provider: "up", model: "gpt-4o-mini" },
          { provider: "up", model: "gpt-4o-mini-fallback" },
        ],
        retry: { maxRetries: 0 },
        tools: ["get_order_status", "charge_order", "unguarded_status", "leaky_status"],
        toolLoop: { maxSteps: 3 },
      },
    },
  };
}

beforeAll(async () => {
  orders = await startOrderService();
  upstream = await createFakeUpstream();
  gw = await startGateway(config(), { env: { UP_KEY, ORDER_KEY } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterEach(() => {
  expect(upstream.pending(), "every queued answer was used").toBe(0);
  orders.requests.length = 0;
  upstream.requests.length = 0;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await orders?.close();
});

const ask = (content: string) => ({ model: "support", messages: [{ role: "user" as const, content }] });
const statusLine = (result: string) => {
  const order = JSON.parse(result) as { order_id: string; status: string; eta: string };
  return `Order ${order.order_id} is ${order.status}, arriving ${order.eta}.`;
};
const sentBody = (i: number) =>
  upstream.requests[i]!.body as { messages: { role: string; content?: unknown; tool_calls?: unknown[] }[]; tools?: { function: { name: string } }[]; tool_choice?: unknown };

describe("get_order_status through the tool loop", () => {
  it("runs the tool against the order service and answers with its status (non-streamed)", async () => {
    upstream.enqueue(toolCallAnswer([{ name: "get_order_status", args: { order_id: "A-1001" } }]), answerFromToolResult(statusLine));
    const { data, response } = await client.chat.completions.create(ask("Where is my order A-1001?")).withResponse();

    expect(data.choices[0]!.message.content).toBe("Order A-1001 is shipped, arriving 2026-11-24.");
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(orders.requests).toMatchObject([{ method: "GET", path: "/orders/A-1001" }]);
    expect(orders.requests[0]!.idempotencyKey).toMatch(/^tgt_/);
    // The model saw the tool's definition, then its result as a tool message (never system text).
    expect(
      sentBody(0)
        .tools!.map((t) => t.function.name)
        .sort(),
    ).toEqual(["charge_order", "get_order_status", "leaky_status", "unguarded_status"]);
    const second = sentBody(1).messages;
    expect(second.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(second[1]!.tool_calls).toHaveLength(1);
    expect(JSON.parse(String(second[2]!.content))).toEqual({ order_id: "A-1001", status: "shipped", eta: "2026-11-24" });

    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.toolCalls).toMatchObject([{ step: 1, position: 0, name: "get_order_status", status: "ok" }]);
    expect(record.attempts.map((a) => a.status)).toEqual(["ok", "ok"]);
    // Both steps are metered: the request's usage is their sum, and the client is told so.
    const stepUsage = record.attempts.map((a) => a.usage!.inputTokens);
    expect(record.usage!.inputTokens).toBe(stepUsage[0]! + stepUsage[1]!);
    expect(data.usage!.prompt_tokens).toBe(record.usage!.inputTokens);
    expect(response.headers.get("x-tollgate-tool-calls")).toBe("1");
  });

  it("streams the final answer, with the tool step as an extension chunk the SDK passes through", async () => {
    upstream.enqueue(toolCallAnswer([{ name: "get_order_status", args: { order_id: "A-1002" } }]), answerFromToolResult(statusLine));
    const { data: stream, response } = await client.chat.completions.create({ ...ask("Where is A-1002?"), stream: true }).withResponse();
    let text = "";
    const steps: unknown[] = [];
    for await (const chunk of stream) {
      const extension = (chunk as unknown as { tollgate?: unknown }).tollgate;
      if (extension) steps.push(extension);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Order A-1002 is processing, arriving 2026-11-28.");
    expect(steps).toEqual([{ type: "tool_step", step: 1, calls: [expect.objectContaining({ name: "get_order_status", status: "ok", arguments: '{"order_id":"A-1002"}' })] }]);
    expect(orders.requests).toHaveLength(1);
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    // Time to first token counts to the first step's first content, not the last step's.
    const [first] = record.attempts;
    expect(record.ttftMs).toBeCloseTo(first!.ttftMs! + (first!.startedAt - record.startedAt), 3);
    // Every step is streamed from upstream, the answering one live to the client.
    expect(upstream.requests.map((r) => (r.body as { stream?: boolean }).stream ?? false)).toEqual([true, true]);
  });

  it("streams the answering step live: its first words reach the client while the model is still writing", async () => {
    upstream.enqueue(toolCallAnswer([{ name: "get_order_status", args: { order_id: "A-1001" } }]), textStall("Order A-1001 is"));
    const stream = await client.chat.completions.create({ ...ask("Where is A-1001?"), stream: true });
    const seen: string[] = [];
    let text = "";
    for await (const chunk of stream) {
      if ((chunk as unknown as { tollgate?: unknown }).tollgate) seen.push("tool_step");
      text += chunk.choices[0]?.delta.content ?? "";
      if (text === "Order A-1001 is") break;
    }
    // The step event came first; the words arrived while the final step's upstream response is still open.
    expect(seen).toEqual(["tool_step"]);
    expect(upstream.requests[1]!.finishedAt).toBeUndefined();
    expect(orders.requests).toHaveLength(1);
  });

  it("refuses a tool not on the route's list and arguments that fail the schema, feeds the refusals back, and never calls the service", async () => {
    upstream.enqueue(
      toolCallAnswer([
        { name: "cancel_order", args: { order_id: "A-1001" } },
        { name: "get_order_status", args: { order_id: "A-1001' OR 1=1 --" } },
        { name: "get_order_status", args: "{not json" },
      ]),
      textAnswer("I could not look that up."),
    );
    const { data, response } = await client.chat.completions.create(ask("Cancel A-1001")).withResponse();

    expect(data.choices[0]!.message.content).toBe("I could not look that up.");
    expect(orders.requests).toEqual([]);
    const results = toolMessages(upstream.requests[1]!.body).map((m) => ({ id: m.tool_call_id, error: (JSON.parse(String(m.content)) as { error: { code: string; message: string } }).error }));
    expect(results).toEqual([
      { id: "call_0_cancel_order", error: { code: "tool_not_allowed", message: expect.stringContaining("not available") } },
      { id: "call_1_get_order_status", error: { code: "invalid_arguments", message: expect.stringContaining("arguments.order_id must match pattern") } },
      { id: "call_2_get_order_status", error: { code: "invalid_arguments", message: expect.stringContaining("not valid JSON") } },
    ]);
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.toolCalls!.map((c) => [c.name, c.status, c.errorCode])).toEqual([
      ["cancel_order", "refused", "tool_not_allowed"],
      ["get_order_status", "refused", "invalid_arguments"],
      ["get_order_status", "refused", "invalid_arguments"],
    ]);
    // Metrics count the refusals; the unlisted name the model made up never becomes a label.
    const metrics = await gw.gateway.metrics();
    expect(metrics).not.toContain("cancel_order");
    const exposition = parsePrometheusText(metrics);
    expect(sumOf(exposition, "tollgate_tool_calls_total", { tool: "unlisted", status: "refused" })).toBeGreaterThanOrEqual(1);
    expect(sumOf(exposition, "tollgate_tool_calls_total", { tool: "get_order_status", status: "refused" })).toBeGreaterThanOrEqual(2);
  });

  it("refuses a tool whose host resolves to a private address without allowPrivateNetwork", async () => {
    upstream.enqueue(
      toolCallAnswer([{ name: "unguarded_status", args: { order_id: "A-1001" } }]),
      answerFromToolResult((r) => r),
    );
    const data = await client.chat.completions.create(ask("Where is A-1001?"));
    const error = (JSON.parse(data.choices[0]!.message.content!) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("tool_address_blocked");
    expect(error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
    expect(orders.requests).toEqual([]);
  });

  it("sends a tool's secret header, and redacts the secret from the error the model sees", async () => {
    upstream.enqueue(
      toolCallAnswer([{ name: "leaky_status", args: { order_id: "A-1001" } }]),
      { kind: "status", status: 500, body: `rejected key ${ORDER_KEY} for /leak/A-1001` },
      answerFromToolResult((r) => r),
    );
    const data = await client.chat.completions.create(ask("Where is A-1001?"));
    expect(upstream.requests[1]!.headers["x-order-key"]).toBe(ORDER_KEY);
    const error = (JSON.parse(data.choices[0]!.message.content!) as { error: { code: string; message: string } }).error;
    expect(error).toEqual({ code: "tool_http_error", message: "The tool answered 500: rejected key [REDACTED] for /leak/A-1001" });
    expect(JSON.stringify(upstream.requests[2]!.body)).not.toContain(ORDER_KEY);
  });

  it("returns a call to one of the client's own tools to the client, leaving out the other calls and running nothing", async () => {
    upstream.enqueue(
      toolCallAnswer([
        { name: "get_order_status", args: { order_id: "A-1001" } },
        { name: "open_ticket", args: { subject: "late order" } },
        { name: "drop_tables", args: {} },
      ]),
    );
    const { data, response } = await client.chat.completions
      .create({
        ...ask("Open a ticket"),
        tools: [{ type: "function", function: { name: "open_ticket", parameters: { type: "object", properties: { subject: { type: "string" } } } } }],
        logprobs: true,
      })
      .withResponse();
    // Steps are rebuilt from the canonical request; a same-API upstream still gets the fields it does not model.
    expect(response.headers.get("x-tollgate-dropped")).toBeNull();
    expect(sentBody(0)).toHaveProperty("logprobs", true);
    expect(data.choices[0]!.finish_reason).toBe("tool_calls");
    expect(data.choices[0]!.message.tool_calls).toEqual([expect.objectContaining({ function: { name: "open_ticket", arguments: '{"subject":"late order"}' } })]);
    expect(sentBody(0).tools!.map((t) => t.function.name)).toContain("open_ticket");
    expect(orders.requests).toEqual([]);
  });

  it("refuses a client tool named like a server tool", async () => {
    const call = client.chat.completions.create({ ...ask("hi"), tools: [{ type: "function", function: { name: "get_order_status", parameters: { type: "object" } } }] });
    await expect(call).rejects.toMatchObject({ status: 400, code: "tool_name_conflict" });
    expect(upstream.requests).toEqual([]);
  });

  it("refuses a JSON Schema answer on a tool route before any call, and n > 1", async () => {
    const schema = client.chat.completions.create({ ...ask("hi"), response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } });
    await expect(schema).rejects.toMatchObject({ status: 400, code: "unsupported_parameter", param: "response_format" });
    await expect(client.chat.completions.create({ ...ask("hi"), n: 2 })).rejects.toMatchObject({ status: 400, code: "unsupported_parameter", param: "n" });
    expect(upstream.requests).toEqual([]);
  });

  it("stops a model that keeps calling tools: the last step is sent with tool_choice none, then a clear error", async () => {
    const again = toolCallAnswer([{ name: "get_order_status", args: { order_id: "A-1003" } }]);
    upstream.enqueue(again, again, again);
    const call = client.chat.completions.create(ask("Where is A-1003?"));
    await expect(call).rejects.toMatchObject({ status: 502, code: "tool_loop_exhausted" });
    expect(upstream.requests.map((r) => sentBody(upstream.requests.indexOf(r)).tool_choice)).toEqual([undefined, undefined, "none"]);
    expect(orders.requests).toHaveLength(2);
  });
});

describe("side effects run once", () => {
  it("charges the order once when the client retries a request whose final step failed after the tool ran", async () => {
    const charge = toolCallAnswer([{ name: "charge_order", args: { order_id: "A-1002" } }]);
    const failing = { kind: "json" as const, status: 500, body: { error: { message: "upstream overloaded", type: "server_error" } } };
    // Tries 1 and 2: the tool runs, then the final step fails on both targets.
    upstream.enqueue(
      charge,
      failing,
      failing,
      charge,
      failing,
      failing,
      charge,
      answerFromToolResult((r) => `Charged: ${r}`),
    );
    const before = orders.charges("A-1002");
    const send = () => client.chat.completions.create(ask("Charge A-1002"), { headers: { "Idempotency-Key": "order-A-1002-charge-1" } }).withResponse();

    await expect(send()).rejects.toMatchObject({ status: 502 });
    await expect(send()).rejects.toMatchObject({ status: 502 });
    const { data, response } = await send();

    expect(orders.charges("A-1002")).toBe(before + 1);
    expect(orders.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    // The third try's model got the stored result of the first try's call.
    expect(data.choices[0]!.message.content).toBe(`Charged: {"order_id":"A-1002","charges":${before + 1}}`);
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.toolCalls).toMatchObject([{ name: "charge_order", status: "ok", reused: true }]);
    const failed = gw.records.filter((r) => r.status === 502).slice(-2);
    expect(failed.map((r) => r.toolCalls?.[0]?.reused ?? false)).toEqual([false, true]);
  });

  it("a streaming client retrying after a later step failed inside its stream: the charge still runs once", async () => {
    const charge = toolCallAnswer([{ name: "charge_order", args: { order_id: "A-1001" } }]);
    const failing = { kind: "json" as const, status: 503, body: { error: { message: "overloaded", type: "server_error" } } };
    upstream.enqueue(charge, failing, failing, charge, textAnswer("Charged."));
    const before = orders.charges("A-1001");
    const read = async () => {
      const stream = await client.chat.completions.create({ ...ask("Charge A-1001"), stream: true }, { headers: { "Idempotency-Key": "stream-charge-A-1001" } });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    // The first step answered, so the stream had begun: the failure arrives inside it.
    await expect(read()).rejects.toMatchObject({ error: { code: "all_targets_failed" } });
    expect(await read()).toBe("Charged.");
    expect(orders.charges("A-1001")).toBe(before + 1);
  });

  it("a different request (no Idempotency-Key) is a new side effect", async () => {
    const charge = toolCallAnswer([{ name: "charge_order", args: { order_id: "A-1003" } }]);
    upstream.enqueue(charge, textAnswer("done"), charge, textAnswer("done"));
    const before = orders.charges("A-1003");
    await client.chat.completions.create(ask("Charge A-1003"));
    await client.chat.completions.create(ask("Charge A-1003"));
    expect(orders.charges("A-1003")).toBe(before + 2);
    const keys = orders.requests.map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
  });
});
