import { internalsOf } from "../../src/gateway.js";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveConfig } from "../../src/config/resolve.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { ConfigError, createGateway } from "../../src/index.js";
import { defineTool } from "../../src/tools/define-tool.js";
import type { ToolContext } from "../../src/tools/tool.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { textAnswer, toolCallAnswer, toolMessages } from "../support/tool-answers.js";

// Library mode: TypeScript function tools behind zod schemas, run by the gateway's tool
// loop; parallel and sequential steps, and budgets reserved step by step.

let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

/** What the tools did, in order: the evidence for (or against) overlap. */
const log: string[] = [];
const keys: string[] = [];

/** Calls that only finish once `size` of them have started: run one at a time, they would wait forever (and time out). */
function barrier(size: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return async () => {
    if (++arrived === size) open();
    await opened;
  };
}
let meet = barrier(2);

const lookup = defineTool({
  description: "Look up a stock level",
  schema: z.object({ sku: z.string().regex(/^SKU-\d+$/), warehouse: z.enum(["north", "south"]).default("north") }),
  timeoutMs: 30_000,
  run: async ({ sku, warehouse }, ctx: ToolContext) => {
    log.push(`start ${sku}`);
    keys.push(ctx.idempotencyKey);
    await meet();
    log.push(`end ${sku}`);
    return { sku, warehouse, units: sku.length };
  },
});

const note = defineTool({
  description: "Record a note",
  schema: z.object({ text: z.string() }),
  run: async ({ text }) => {
    log.push(`start ${text}`);
    await Promise.resolve();
    log.push(`end ${text}`);
    return "noted";
  },
});

function config(): ConfigInput {
  return {
    providers: { up: { type: "openai", baseURL: upstream.url, apiKey: "sk-library-upstream-0123456789" } },
    budgets: { rules: [{ scope: "key", period: "total", tokens: 1_000_000 }] },
    models: {
      parallel: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 }, tools: ["lookup"] },
      sequential: { targets: [{ provider: "up", model: "m" }], retry: { maxRetries: 0 }, tools: ["note"], toolLoop: { parallel: false } },
    },
  };
}

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(config(), { tools: { lookup, note } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterEach(() => {
  expect(upstream.pending()).toBe(0);
  log.length = 0;
  keys.length = 0;
  meet = barrier(2);
  upstream.requests.length = 0;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const ask = (model: string) => ({ model, messages: [{ role: "user" as const, content: "check stock" }] });

describe("function tools", () => {
  it("runs the calls of one step concurrently: each starts before either ends", async () => {
    upstream.enqueue(
      toolCallAnswer([
        { name: "lookup", args: { sku: "SKU-1" } },
        { name: "lookup", args: { sku: "SKU-22", warehouse: "south" } },
      ]),
      textAnswer("in stock"),
    );
    const { data, response } = await client.chat.completions.create(ask("parallel")).withResponse();
    expect(data.choices[0]!.message.content).toBe("in stock");
    expect(log.slice(0, 2).sort()).toEqual(["start SKU-1", "start SKU-22"]);
    // zod's output (the default warehouse) reached the function; results go back in call order.
    expect(toolMessages(upstream.requests[1]!.body).map((m) => JSON.parse(String(m.content)))).toEqual([
      { sku: "SKU-1", warehouse: "north", units: 5 },
      { sku: "SKU-22", warehouse: "south", units: 6 },
    ]);
    expect(new Set(keys).size).toBe(2);
    expect(keys.every((k) => k.startsWith("tgt_"))).toBe(true);
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    expect(record.toolCalls!.map((c) => c.status)).toEqual(["ok", "ok"]);
  });

  it("runs them one after another when the route says parallel: false", async () => {
    upstream.enqueue(
      toolCallAnswer([
        { name: "note", args: { text: "a" } },
        { name: "note", args: { text: "b" } },
      ]),
      textAnswer("noted both"),
    );
    await client.chat.completions.create(ask("sequential"));
    expect(log).toEqual(["start a", "end a", "start b", "end b"]);
  });

  it("refuses arguments the zod schema rejects, without running the function", async () => {
    upstream.enqueue(toolCallAnswer([{ name: "lookup", args: { sku: "DROP TABLE" } }]), textAnswer("sorry"));
    await client.chat.completions.create(ask("parallel"));
    expect(log).toEqual([]);
    const error = (JSON.parse(String(toolMessages(upstream.requests[1]!.body)[0]!.content)) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("invalid_arguments");
    expect(error.message).toContain("arguments.sku");
  });

  it("shows the model the schema's input side as JSON Schema", async () => {
    upstream.enqueue(textAnswer("hello"));
    await client.chat.completions.create(ask("parallel"));
    const sent = (upstream.requests[0]!.body as { tools: { function: { name: string; parameters: { properties: Record<string, unknown>; required?: string[] } } }[] }).tools;
    expect(sent[0]!.function.name).toBe("lookup");
    expect(Object.keys(sent[0]!.function.parameters.properties)).toEqual(["sku", "warehouse"]);
    expect(sent[0]!.function.parameters.required).toEqual(["sku"]);
  });
});

describe("budgets over the steps of a tool loop", () => {
  const counter = "tokens:total:key:anonymous:all";

  it("settles every step into the request's total and leaves no step reservation behind", async () => {
    const [before] = await internalsOf(gw.gateway).services.budgetStore.read([counter]);
    upstream.enqueue(toolCallAnswer([{ name: "note", args: { text: "x" } }]), textAnswer("done"));
    const { response } = await client.chat.completions.create(ask("sequential")).withResponse();
    const record = await gw.recordOf(response.headers.get("x-request-id")!);
    const [after] = await internalsOf(gw.gateway).services.budgetStore.read([counter]);
    expect(after!.reserved).toBe(0);
    expect(after!.spent - before!.spent).toBe(record.usage!.inputTokens + record.usage!.outputTokens);
    expect(record.attempts).toHaveLength(2);
  });

  it("reserves each further step before it runs: a step that does not fit is refused with 429", async () => {
    const tight = await startGateway({ ...config(), budgets: { rules: [{ scope: "key", period: "total", tokens: 1_500 }] } }, { tools: { lookup, note } });
    try {
      upstream.enqueue(toolCallAnswer([{ name: "note", args: { text: "y" } }]));
      const tightClient = new OpenAI({ baseURL: tight.baseURL, apiKey: "unused", maxRetries: 0 });
      // Step 1 reserves ~1,000 tokens (its prompt + max_tokens) and fits; step 2 would need as much again.
      await expect(tightClient.chat.completions.create({ ...ask("sequential"), max_tokens: 1_000 })).rejects.toMatchObject({ status: 429, code: "budget_exceeded" });
      expect(upstream.requests).toHaveLength(1);
      expect(log).toEqual(["start y", "end y"]);
      const [state] = await internalsOf(tight.gateway).services.budgetStore.read([counter]);
      expect(state).toEqual({ reserved: 0, spent: 431 });
    } finally {
      await tight.close();
    }
  });
});

describe("tool config checks at startup", () => {
  it("names an unknown tool and an unknown MCP server on a route by path", () => {
    const config = resolveConfig(
      {
        providers: { up: { type: "simulator" } },
        routes: { support: { targets: [{ provider: "up", model: "m" }], tools: ["lookup", "get_weather", "mcp:nowhere/x"] } },
      },
      {},
    );
    let error: unknown;
    try {
      createGateway({ config, tools: { lookup }, log: () => {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: "routes.support.tools[1]", message: 'Unknown tool "get_weather"; defined: lookup.' },
      { path: "routes.support.tools[2]", message: 'Unknown MCP server "nowhere"; defined: none.' },
    ]);
  });

  it("refuses a URL template with a placeholder in its host, and a non-http scheme", () => {
    const tool = (url: string) => ({ type: "http" as const, description: "d", url });
    const config = resolveConfig({ providers: { up: { type: "simulator" } }, models: {}, tools: { a: tool("http://{host}/x"), b: tool("file:///etc/{name}") } }, {});
    expect(() => createGateway({ config, log: () => {} })).toThrow(/tools\.a: placeholders are allowed in the path and query only[\s\S]*tools\.b: only http and https/);
  });
});
