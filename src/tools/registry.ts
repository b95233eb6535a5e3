import { ConfigError, type ConfigIssue, type ResolvedConfig, type ResolvedRoute } from "../config/resolve.js";
import { ToolServerUnavailableError } from "../errors/tool-errors.js";
import type { FunctionTool } from "./define-tool.js";
import { HttpTool } from "./http-tool.js";
import { McpConnection } from "./mcp-connection.js";
import type { ServerTool } from "./tool.js";

const MCP_REF = /^mcp:([A-Za-z0-9_-]+)\/(.+)$/;

/** The function name a model sees for an MCP tool: "<server>__<tool>", limited to what every provider accepts. */
function mcpModelName(server: string, tool: string): string {
  return `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

/**
 * Every server-side tool a gateway knows: HTTP tools from the config, function tools
 * from the library caller, and MCP servers' tools (listed on first use). Built once at
 * startup; a route naming a tool that does not exist is a config error.
 */
export class ToolRegistry {
  private readonly local = new Map<string, ServerTool>();
  private readonly http: HttpTool[] = [];
  private readonly mcp = new Map<string, McpConnection>();

  constructor(config: ResolvedConfig, functionTools: Record<string, FunctionTool> = {}) {
    const issues: ConfigIssue[] = [];
    for (const [name, tool] of Object.entries(config.tools)) {
      try {
        const http = new HttpTool(tool);
        this.http.push(http);
        this.local.set(name, http);
      } catch (err) {
        issues.push({ path: `tools.${name}`, message: (err as Error).message });
      }
    }
    for (const [name, tool] of Object.entries(functionTools)) {
      if (this.local.has(name)) issues.push({ path: `tools.${name}`, message: `A function tool and a config tool are both named "${name}".` });
      else if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) issues.push({ path: `tools.${name}`, message: "A tool name has 1 to 64 letters, digits, _ or -." });
      else this.local.set(name, tool.bind(name));
    }
    for (const [name, server] of Object.entries(config.mcpServers)) this.mcp.set(name, new McpConnection(server));
    for (const route of Object.values(config.models)) issues.push(...this.routeIssues(route));
    if (issues.length > 0) throw new ConfigError(issues);
  }

  private routeIssues(route: ResolvedRoute): ConfigIssue[] {
    return (route.tools?.names ?? []).flatMap((id, i) => {
      const path = `routes.${route.name}.tools[${i}]`;
      const mcp = MCP_REF.exec(id);
      if (mcp) return this.mcp.has(mcp[1]!) ? [] : [{ path, message: `Unknown MCP server "${mcp[1]}"; defined: ${[...this.mcp.keys()].join(", ") || "none"}.` }];
      return this.local.has(id) ? [] : [{ path, message: `Unknown tool "${id}"; defined: ${[...this.local.keys()].join(", ") || "none"}.` }];
    });
  }

  /** The tools a route may use, by the name the model sees (MCP servers are asked for theirs on first use). */
  async forRoute(route: ResolvedRoute): Promise<Map<string, ServerTool>> {
    const out = new Map<string, ServerTool>();
    for (const id of route.tools?.names ?? []) {
      const mcp = MCP_REF.exec(id);
      const tool = mcp ? await this.mcpTool(mcp[1]!, mcp[2]!, id) : this.local.get(id);
      if (tool) out.set(tool.name, tool);
    }
    return out;
  }

  private async mcpTool(server: string, name: string, id: string): Promise<ServerTool | undefined> {
    const connection = this.mcp.get(server)!;
    const listed = await connection.tools().catch((err: unknown) => {
      throw new ToolServerUnavailableError(server, (err as Error).message);
    });
    const info = listed.get(name);
    if (!info) return undefined;
    return {
      id,
      name: mcpModelName(server, name),
      description: info.description,
      parameters: info.inputSchema,
      timeoutMs: connection.config.timeoutMs,
      validate: info.validate,
      run: (args, ctx) => connection.call(name, args, ctx.signal),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.http.map((t) => t.close()), ...[...this.mcp.values()].map((c) => c.close())]);
  }
}
