import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { startMcpServer, type TestMcpServer } from "../support/mcp-server.js";
import { answerFromToolResult, textAnswer, toolCallAnswer, toolMessages } from "../support/tool-answers.js";

// MCP tools behind the same allowlist and argument validation: a real MCP server with two
// tools on 127.0.0.1, a route that lists only one of them.

let mcp: TestMcpServer;
let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  mcp = await startMcpServer();
  upstream = await createFakeUpstream();
  gw = await startGateway({
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-mcp-upstream-0123456789" } },
    mcpServers: { shop: { url: mcp.url, allowPrivateNetwork: true }, guarded: { url: mcp.url } },
    models: {
      support: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 }, tools: ["mcp:shop/lookup_order"] },
      blocked: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 }, tools: ["mcp:guarded/lookup_order"] },
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterEach(() => {
  expect(upstream.pending()).toBe(0);
  upstream.requests.length = 0;
  mcp.calls.length = 0;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await mcp?.close();
});

const ask = (model = "support") => ({ model, messages: [{ role: "user" as const, content: "Where is A-1001?" }] });
const errorsSent = (i: number) => toolMessages(upstream.requests[i]!.body).map((m) => String(m.content));

describe("MCP tools", () => {
  it("offers only the listed tool, runs it with validated arguments, and refuses the other and bad arguments", async () => {
    upstream.enqueue(
      toolCallAnswer([
        { name: "shop__lookup_order", args: { order_id: "A-1001" } },
        { name: "shop__delete_order", args: { order_id: "A-1001" } },
        { name: "shop__lookup_order", args: { order_id: "everything" } },
      ]),
      textAnswer("Your order has shipped."),
    );
    const { data, response } = await client.chat.completions.create(ask()).withResponse();
    expect(data.choices[0]!.message.content).toBe("Your order has shipped.");

    const offered = (upstream.requests[0]!.body as { tools: { function: { name: string; description: string; parameters: { required: string[] } } }[] }).tools;
    expect(offered.map((t) => t.function.name)).toEqual(["shop__lookup_order"]);
    expect(offered[0]!.function).toMatchObject({ description: "Look up an order's status", parameters: { required: ["order_id"] } });
    expect(mcp.calls).toEqual([{ name: "lookup_order", args: { order_id: "A-1001" } }]);
    const [ran, other, invalid] = errorsSent(1);
    expect(ran).toBe("Order A-1001: shipped");
    expect(JSON.parse(other!)).toMatchObject({ error: { code: "tool_not_allowed" } });
    expect(JSON.parse(invalid!)).toMatchObject({ error: { code: "invalid_arguments", message: expect.stringContaining("arguments.order_id must match pattern") } });
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.toolCalls!.map((c) => c.status)).toEqual(["ok", "refused", "refused"]);
  });

  it("reuses one session across requests, and opens a new one after the server lost it", async () => {
    const sessions = mcp.sessions();
    upstream.enqueue(
      toolCallAnswer([{ name: "shop__lookup_order", args: { order_id: "A-1002" } }]),
      answerFromToolResult((r) => r),
    );
    await client.chat.completions.create(ask());
    expect(mcp.sessions()).toBe(sessions);

    // As after a restart: the call fails (fed back to the model as an error), the session is dropped...
    mcp.forgetSessions();
    upstream.enqueue(
      toolCallAnswer([{ name: "shop__lookup_order", args: { order_id: "A-1003" } }]),
      answerFromToolResult((r) => r),
    );
    const failed = await client.chat.completions.create(ask());
    expect(JSON.parse(failed.choices[0]!.message.content!)).toMatchObject({ error: { code: "tool_unreachable" } });

    // ...and the next request connects and lists the tools again.
    upstream.enqueue(
      toolCallAnswer([{ name: "shop__lookup_order", args: { order_id: "A-1003" } }]),
      answerFromToolResult((r) => r),
    );
    const answered = await client.chat.completions.create(ask());
    expect(answered.choices[0]!.message.content).toBe("Order A-1003: shipped");
    expect(mcp.sessions()).toBe(sessions + 1);
    expect(mcp.calls).toEqual([
      { name: "lookup_order", args: { order_id: "A-1002" } },
      { name: "lookup_order", args: { order_id: "A-1003" } },
    ]);
  });

  it("refuses a server on a private address without allowPrivateNetwork: 502 before any model call", async () => {
    const call = client.chat.completions.create(ask("blocked"));
    await expect(call).rejects.toMatchObject({ status: 502, code: "tool_server_unavailable" });
    expect(upstream.requests).toEqual([]);
  });
});
