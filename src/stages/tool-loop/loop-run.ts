import type { ResolvedRoute } from "../../config/resolve.js";
import { ToolLoopExhaustedError, ToolNameConflictError } from "../../errors/tool-errors.js";
import type { RoutedContext } from "../context.js";
import type { CanonicalRequest, Message, ToolCall, ToolChoice } from "../../spec/canonical-request.js";
import type { StreamEvent } from "../../spec/stream-events.js";
import { addUsage, type Usage } from "../../spec/usage.js";
import { runCall, type CallOutcome } from "./run-call.js";
import type { ServerTool } from "../../tools/tool.js";

export type LoopLimits = NonNullable<ResolvedRoute["tools"]>["loop"];

/** A forced choice ("required", a named tool) applies to the first step; later steps may answer. */
function laterChoice(choice: ToolChoice | undefined): ToolChoice | undefined {
  return choice === undefined || choice === "none" ? choice : "auto";
}

function stepEvent(step: number, outcomes: readonly CallOutcome[]): StreamEvent {
  const calls = outcomes.map(({ call, record }) => ({
    id: call.id,
    name: call.name,
    arguments: call.arguments,
    status: record.status,
    ...(record.errorCode ? { error_code: record.errorCode } : {}),
    ...(record.reused ? { reused: true } : {}),
    duration_ms: Math.round(record.durationMs),
  }));
  return { type: "extension", name: "tool_step", data: { step, calls } };
}

/**
 * The state of one request's tool loop, whichever way its steps are called (complete, or
 * streamed to the client): the conversation so far, the step, and what ends the loop.
 */
export class LoopRun {
  readonly clientTools: ReadonlySet<string>;
  step = 1;
  private messages: Message[];
  private toolChoice: ToolChoice | undefined;
  private readonly definitions: NonNullable<CanonicalRequest["tools"]>;

  constructor(
    private readonly ctx: RoutedContext,
    private readonly request: CanonicalRequest,
    private readonly tools: ReadonlyMap<string, ServerTool>,
    private readonly limits: LoopLimits,
  ) {
    this.clientTools = new Set((request.tools ?? []).map((t) => t.name));
    for (const name of this.clientTools) if (tools.has(name)) throw new ToolNameConflictError(name);
    this.definitions = [...(request.tools ?? []), ...[...tools.values()].map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }))];
    this.messages = request.messages;
    this.toolChoice = request.toolChoice;
  }

  /**
   * The current step's request: the client's, with the server tools, built from the
   * canonical fields. The last step the route allows is sent with tool_choice "none".
   * A step after the first reserves its own budget before it is sent.
   */
  async stepRequest(stream: boolean): Promise<CanonicalRequest> {
    const request: CanonicalRequest = { ...this.request, messages: this.messages, tools: this.definitions, stream, rewritten: true };
    const choice = this.step === this.limits.maxSteps ? "none" : this.toolChoice;
    if (choice === undefined) delete request.toolChoice;
    else request.toolChoice = choice;
    // A later step is a new model call (a step, not a retry), with its own worst case reserved first.
    this.ctx.step = this.step;
    if (this.step > 1) await this.ctx.reserveStep?.(request);
    return request;
  }

  /** An answer with these calls is the last: none, or one to the client's own tools. */
  isFinal(calls: readonly ToolCall[]): boolean {
    return calls.length === 0 || calls.some((c) => this.clientTools.has(c.name));
  }

  /** The calls the client gets: those to its own tools (server and unknown calls are never shown). */
  clientCalls(calls: readonly ToolCall[]): ToolCall[] {
    return calls.filter((c) => this.clientTools.has(c.name));
  }

  /** Runs a tool step's calls, adds them and their results to the conversation, and moves to the next step; returns the step's event. */
  async runTools(calls: readonly ToolCall[], text: string | null): Promise<StreamEvent> {
    if (this.step === this.limits.maxSteps) throw new ToolLoopExhaustedError(this.limits.maxSteps);
    const outcomes = await this.runCalls(calls);
    this.ctx.toolCalls.push(...outcomes.map((o) => o.record));
    this.messages = [...this.messages, { role: "assistant", content: text, toolCalls: [...calls] }, ...outcomes.map((o): Message => ({ role: "tool", toolCallId: o.call.id, content: o.content }))];
    this.toolChoice = laterChoice(this.toolChoice);
    return stepEvent(this.step++, outcomes);
  }

  private async runCalls(calls: readonly ToolCall[]): Promise<CallOutcome[]> {
    const step = this.step;
    if (this.limits.parallel) return Promise.all(calls.map((call, i) => runCall(this.ctx, this.tools, step, i, call)));
    const outcomes: CallOutcome[] = [];
    for (const [i, call] of calls.entries()) outcomes.push(await runCall(this.ctx, this.tools, step, i, call));
    return outcomes;
  }
}

/** Every metered step together: what the client is told it used. */
export function totalUsage(ctx: RoutedContext): Usage | undefined {
  return ctx.attempts.reduce<Usage | undefined>((sum, a) => (a.usage ? (sum ? addUsage(sum, a.usage) : a.usage) : sum), undefined);
}
