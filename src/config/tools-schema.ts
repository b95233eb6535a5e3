import { z } from "zod";
import { secretRef } from "./secret-ref.js";

const ms = z.number().int().positive();

/** A JSON Schema object, as a tool's parameters; ajv compiles it at startup. */
const jsonSchema = z.record(z.string(), z.unknown());

/** A tool the gateway calls over HTTP (docs/tools.md). */
export const httpToolSchema = z.strictObject({
  type: z.literal("http"),
  description: z.string().min(1),
  parameters: jsonSchema.default({ type: "object", properties: {} }),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
  /** "http://127.0.0.1:8080/orders/{order_id}": placeholders are filled with percent-encoded arguments. */
  url: z.string().min(1),
  /** Values may be secrets ("env:NAME"). */
  headers: z.record(z.string(), secretRef).optional(),
  /** A JSON template whose "{name}" strings become argument values; without it POST/PUT/PATCH send the arguments as JSON. */
  body: z.unknown().optional(),
  timeoutMs: ms.default(10_000),
  maxResponseBytes: ms.default(256 * 1024),
  /** Lets this tool reach private, loopback and link-local addresses (off: the SSRF guard refuses them). */
  allowPrivateNetwork: z.boolean().default(false),
});

/** An MCP server reached over Streamable HTTP; its tools are named "mcp:<server>/<tool>" on routes. */
export const mcpServerSchema = z.strictObject({
  url: z.url(),
  headers: z.record(z.string(), secretRef).optional(),
  timeoutMs: ms.default(10_000),
  allowPrivateNetwork: z.boolean().default(false),
});

/** A route's tool loop limits. */
export const toolLoopSchema = z.strictObject({
  /** Model calls per request, the final answer included. */
  maxSteps: z.number().int().min(1).max(50).default(5),
  /** Run the calls of one step concurrently (else one after another, in order). */
  parallel: z.boolean().default(true),
});

/** Where executed tool calls' results are kept for retried requests. */
export const toolResultsSchema = z.strictObject({
  retentionMs: ms.default(24 * 60 * 60 * 1000),
});

export type HttpToolConfig = z.output<typeof httpToolSchema>;
export type McpServerConfig = z.output<typeof mcpServerSchema>;
export type ToolLoopConfig = z.output<typeof toolLoopSchema>;
