import type { RoutedContext } from "../context.js";
import type { ToolCallRecord } from "../../spec/request-record.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import { toolCallKey } from "../../tools/idempotency-key.js";
import { ToolFailure, type ServerTool } from "../../tools/tool.js";

/** A claim outlives the call it guards by this much (a call that hangs past its timeout still ends). */
const LEASE_MARGIN_MS = 5_000;

/** One call's outcome: what goes back to the model, and what the ledger records. */
export interface CallOutcome {
  call: ToolCall;
  /** The tool message's content. */
  content: string;
  record: ToolCallRecord;
}

/** The error a model sees as the call's result: a JSON object it can read and react to. */
function errorContent(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function parseArguments(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The client's Idempotency-Key (scoped to its caller), else the request id: the base of every call's key. */
function idempotencyBase(ctx: RoutedContext): string {
  const given = ctx.header("idempotency-key");
  return given ? `${ctx.identity?.keyId ?? ""}:${given}` : ctx.id;
}

/**
 * Checks one call against the route's tools and their schemas, and runs it when allowed:
 * an unlisted tool or invalid arguments is refused (never run); a call that ran before
 * under the same idempotency key reuses its stored result instead of running again.
 */
export async function runCall(ctx: RoutedContext, tools: ReadonlyMap<string, ServerTool>, step: number, position: number, call: ToolCall): Promise<CallOutcome> {
  const startedAt = Date.now();
  const startedMono = performance.now();
  const finish = (status: ToolCallRecord["status"], content: string, extra: Partial<ToolCallRecord> = {}): CallOutcome => ({
    call,
    content,
    record: { step, position, name: call.name, status, startedAt, durationMs: performance.now() - startedMono, ...extra },
  });
  const refuse = (code: string, message: string) => finish("refused", errorContent(code, message), { errorCode: code });

  const tool = tools.get(call.name);
  if (!tool) return refuse("tool_not_allowed", `The tool "${call.name}" is not available here; it was not run.`);
  const parsed = parseArguments(call.arguments);
  if (!parsed.ok) return refuse("invalid_arguments", "The arguments are not valid JSON; the tool was not run.");
  const valid = tool.validate(parsed.value);
  if (!valid.ok) return refuse("invalid_arguments", `The arguments do not match the tool's schema; the tool was not run: ${valid.errors.join("; ")}`);

  const key = toolCallKey({ base: idempotencyBase(ctx), step, position, tool: tool.id, args: parsed.value });
  const results = await ctx.services.tools.results();
  const claim = await results.claim(key, tool.id, tool.timeoutMs + LEASE_MARGIN_MS);
  if (claim.kind === "done") return finish("ok", claim.result, { reused: true });
  if (claim.kind === "busy") return finish("error", errorContent("tool_call_in_progress", "The same call is running for another attempt of this request."), { errorCode: "tool_call_in_progress" });
  try {
    const result = await tool.run(valid.args, { idempotencyKey: key, requestId: ctx.id, signal: ctx.signal, ...(ctx.identity ? { identity: ctx.identity } : {}) });
    await results.complete(key, result);
    return finish("ok", result);
  } catch (err) {
    // Failed calls are not stored: a retried request may run them again (HTTP tools also
    // send the key, so a service that deduplicates can tell a retry from a new call).
    await results.release(key).catch(() => {});
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const code = err instanceof ToolFailure ? err.code : "tool_failed";
    const message = ctx.services.redactor.redact(err instanceof Error ? err.message : String(err));
    return finish("error", errorContent(code, message), { errorCode: code });
  }
}
