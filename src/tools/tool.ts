import type { Identity } from "../spec/identity.js";

/** What a running tool knows about the call. */
export interface ToolContext {
  /** Stable across retries of the same request: the key a side effect should be deduplicated on. */
  idempotencyKey: string;
  requestId: string;
  identity?: Identity;
  /** Aborted when the client leaves or the tool's timeout passes. */
  signal: AbortSignal;
}

export type Validation = { ok: true; args: unknown } | { ok: false; errors: string[] };

/** A tool the gateway runs itself: an HTTP endpoint, a library function, or an MCP server's tool. */
export interface ServerTool {
  /** The name a route lists: "get_order_status", "mcp:orders/lookup". */
  readonly id: string;
  /** The function name the model sees. */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments, as sent to the model. */
  readonly parameters: Record<string, unknown>;
  /** Longest a call may take; a claim on its idempotency key outlives it. */
  readonly timeoutMs: number;
  /** Checks parsed arguments against the schema (compiled once). */
  validate(args: unknown): Validation;
  /** Runs the call; the result is text for the model. Throws ToolFailure for an error the model should see. */
  run(args: unknown, ctx: ToolContext): Promise<string>;
}

/** A tool call that did not produce a result: reported to the model as the call's result, never thrown to the client. */
export class ToolFailure extends Error {
  override readonly name = "ToolFailure";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
