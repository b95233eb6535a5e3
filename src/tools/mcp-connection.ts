import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { fetch as undiciFetch, type Agent } from "undici";
import type { ResolvedMcpServer } from "../config/resolve.js";
import { guardedAgent } from "./http-tool.js";
import { compileSchema } from "./schema-validator.js";
import { assertAllowedLiteral } from "./ssrf-guard.js";
import { ToolFailure, type Validation } from "./tool.js";

/** One tool as an MCP server lists it, with its input schema compiled. */
export interface McpToolInfo {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  validate: (args: unknown) => Validation;
}

interface Session {
  client: Client;
  tools: Map<string, McpToolInfo>;
}

type CallResult = { content?: unknown; isError?: boolean; structuredContent?: unknown };

/** The model's text for an MCP result: its text parts, or the structured content as JSON. */
function resultText(result: CallResult): string {
  const parts = Array.isArray(result.content) ? (result.content as { type?: string; text?: string }[]) : [];
  const texts = parts.filter((p) => p.type === "text" && typeof p.text === "string").map((p) => p.text!);
  if (texts.length > 0) return texts.join("\n");
  return JSON.stringify(result.structuredContent ?? result.content ?? null);
}

/**
 * A reused connection to one MCP server over Streamable HTTP. Its tools are listed once
 * per session; a failed call drops the session, so the next use reconnects and lists
 * them again. Connections go through the SSRF guard like HTTP tools.
 */
export class McpConnection {
  private session: Promise<Session> | undefined;
  private readonly agent: Agent;

  constructor(readonly config: ResolvedMcpServer) {
    this.agent = guardedAgent(config.allowPrivateNetwork);
  }

  /** The server's tools (connecting and listing on first use). */
  async tools(): Promise<Map<string, McpToolInfo>> {
    return (await this.connect()).tools;
  }

  async call(tool: string, args: unknown, signal: AbortSignal): Promise<string> {
    const session = await this.connect();
    let result: CallResult;
    try {
      result = (await session.client.callTool({ name: tool, arguments: args as Record<string, unknown> }, undefined, { signal, timeout: this.config.timeoutMs })) as CallResult;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      this.reset(session);
      throw new ToolFailure("tool_unreachable", `MCP server "${this.config.name}" failed: ${(err as Error).message}`);
    }
    if (result.isError) throw new ToolFailure("tool_error", resultText(result));
    return resultText(result);
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.then((s) => s.client.close()).catch(() => {});
    await this.agent.close();
  }

  private connect(): Promise<Session> {
    this.session ??= this.open();
    const session = this.session;
    // A failed connect is not kept: the next call tries again.
    session.catch(() => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  private async open(): Promise<Session> {
    const url = new URL(this.config.url);
    assertAllowedLiteral(url, this.config.allowPrivateNetwork);
    const dispatcher = this.agent;
    // Loaded on first use: configs without MCP servers (and every CLI command) do not pay for the SDK.
    const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([import("@modelcontextprotocol/sdk/client/index.js"), import("@modelcontextprotocol/sdk/client/streamableHttp.js")]);
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: this.config.headers },
      fetch: (input, init) => undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
    });
    const client = new Client({ name: "tollgate", version: "1" });
    await client.connect(transport, { timeout: this.config.timeoutMs });
    const listed = await client.listTools(undefined, { timeout: this.config.timeoutMs });
    const tools = new Map<string, McpToolInfo>();
    for (const t of listed.tools) {
      const inputSchema = t.inputSchema as Record<string, unknown>;
      tools.set(t.name, { name: t.name, description: t.description ?? t.name, inputSchema, validate: compileSchema(inputSchema) });
    }
    return { client, tools };
  }

  private reset(session: Session): void {
    void this.session?.then((current) => {
      if (current !== session) return;
      this.session = undefined;
      void session.client.close().catch(() => {});
    });
  }
}
