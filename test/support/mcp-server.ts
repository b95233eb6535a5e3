/**
 * A real MCP server (the SDK's McpServer over StreamableHTTPServerTransport) on
 * 127.0.0.1 with two tools, keeping a session per client; it counts sessions and records
 * every tool call, and can forget its sessions to act like a restarted server.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

export interface TestMcpServer {
  url: string;
  /** Tool calls received: name and arguments. */
  calls: { name: string; args: unknown }[];
  /** Sessions opened (one per initialize). */
  sessions(): number;
  /** Drops every session: the next request of a known client gets 404, as after a restart. */
  forgetSessions(): void;
  close(): Promise<void>;
}

function build(calls: TestMcpServer["calls"]): McpServer {
  const server = new McpServer({ name: "shop", version: "1.0.0" });
  server.registerTool("lookup_order", { description: "Look up an order's status", inputSchema: { order_id: z.string().regex(/^[A-Z]-\d{4}$/) } }, async ({ order_id }) => {
    calls.push({ name: "lookup_order", args: { order_id } });
    return { content: [{ type: "text", text: `Order ${order_id}: shipped` }] };
  });
  server.registerTool("delete_order", { description: "Delete an order", inputSchema: { order_id: z.string() } }, async ({ order_id }) => {
    calls.push({ name: "delete_order", args: { order_id } });
    return { content: [{ type: "text", text: "deleted" }] };
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

export async function startMcpServer(): Promise<TestMcpServer> {
  const calls: TestMcpServer["calls"] = [];
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let sessions = 0;
  const http = createServer((req, res) => {
    void (async () => {
      const body = req.method === "POST" ? await readJson(req) : undefined;
      const id = req.headers["mcp-session-id"];
      let transport = typeof id === "string" ? transports.get(id) : undefined;
      if (!transport) {
        if (typeof id === "string" || !isInitializeRequest(body)) {
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
          return;
        }
        const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void transports.set(sid, created) });
        transport = created;
        sessions++;
        await build(calls).connect(created);
      }
      await transport.handleRequest(req, res, body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    calls,
    sessions: () => sessions,
    forgetSessions: () => {
      for (const t of transports.values()) void t.close();
      transports.clear();
    },
    close: async () => {
      for (const t of transports.values()) await t.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
