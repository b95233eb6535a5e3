import type { ResolvedRoute } from "../config/resolve.js";
import { InvalidRequestError } from "../errors/gateway-error.js";
import { ToolLoopExhaustedError, ToolNameConflictError } from "../errors/tool-errors.js";
import { builtAnswer } from "../pipeline/built-answer.js";
import type { Stage } from "../pipeline/compose.js";
import type { GatewayContext } from "../pipeline/context.js";
import { completeStep } from "../pipeline/open-answer.js";
import { headerSafe } from "../pipeline/stages/dispatch.js";
import type { CanonicalRequest, Message, ToolChoice, ToolDefinition } from "../spec/canonical-request.js";
import type { CanonicalResponse } from "../spec/canonical-response.js";
import type { StreamEvent } from "../spec/stream-events.js";
import { addUsage, type Usage } from "../spec/usage.js";
import { runCall, type CallOutcome } from "./run-call.js";
import type { ServerTool } from "./tool.js";

type Loop = NonNullable<ResolvedRoute["tools"]>["loop"];

function definitionOf(tool: ServerTool): ToolDefinition {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}

/** A forced choice ("required", a named tool) applies to the first step; later steps may answer. */
function laterChoice(choice: ToolChoice | undefined): ToolChoice | undefined {
  return choice === undefined || choice === "none" ? choice : "auto";
}

/** Every metered step together: what the client is told it used. */
function totalUsage(ctx: GatewayContext): Usage | undefined {
  return ctx.attempts.reduce<Usage | undefined>((sum, a) => (a.usage ? (sum ? addUsage(sum, a.usage) : a.usage) : sum), undefined);
}

/** The final answer for the client: only the calls to its own tools (others are never shown as calls), and the usage of every step. */
function finalResponse(ctx: GatewayContext, response: CanonicalResponse, clientTools: ReadonlySet<string>): CanonicalResponse {
  const choices = response.choices.map((c) => {
    const calls = (c.toolCalls ?? []).filter((call) => clientTools.has(call.name));
    const { toolCalls: _dropped, ...rest } = c;
    return calls.length > 0 ? { ...rest, toolCalls: calls } : rest;
  });
  const usage = totalUsage(ctx);
  return { ...response, choices, ...(usage ? { usage } : {}) };
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

async function runStepCalls(ctx: GatewayContext, tools: ReadonlyMap<string, ServerTool>, step: number, response: CanonicalResponse, parallel: boolean): Promise<CallOutcome[]> {
  const calls = response.choices[0]?.toolCalls ?? [];
  if (parallel) return Promise.all(calls.map((call, i) => runCall(ctx, tools, step, i, call)));
  const outcomes: CallOutcome[] = [];
  for (const [i, call] of calls.entries()) outcomes.push(await runCall(ctx, tools, step, i, call));
  return outcomes;
}

/**
 * Runs the model with the route's tools until it answers: each step is one complete call
 * (retries, fallback, metered, budgeted); its server tool calls are checked, run, and fed
 * back as tool messages. A call to one of the client's own tools ends the loop and goes
 * to the client. The last step the route allows is sent with tool_choice "none".
 */
async function runLoop(ctx: GatewayContext, request: CanonicalRequest, tools: ReadonlyMap<string, ServerTool>, loop: Loop): Promise<{ response: CanonicalResponse; events: StreamEvent[] }> {
  const clientTools = new Set((request.tools ?? []).map((t) => t.name));
  for (const name of clientTools) if (tools.has(name)) throw new ToolNameConflictError(name);
  const definitions = [...(request.tools ?? []), ...[...tools.values()].map(definitionOf)];
  const events: StreamEvent[] = [];
  let messages: Message[] = request.messages;
  let toolChoice = request.toolChoice;
  for (let step = 1; ; step++) {
    const last = step === loop.maxSteps;
    const stepRequest: CanonicalRequest = { ...request, messages, tools: definitions, stream: false, rebuilt: true };
    const choice = last ? "none" : toolChoice;
    if (choice === undefined) delete stepRequest.toolChoice;
    else stepRequest.toolChoice = choice;
    if (step > 1) await ctx.reserveStep?.(stepRequest);
    const response = await completeStep(ctx, stepRequest);
    const calls = response.choices[0]?.toolCalls ?? [];
    if (calls.length === 0 || calls.some((c) => clientTools.has(c.name))) return { response: finalResponse(ctx, response, clientTools), events };
    if (last) throw new ToolLoopExhaustedError(loop.maxSteps);
    const outcomes = await runStepCalls(ctx, tools, step, response, loop.parallel);
    ctx.toolCalls.push(...outcomes.map((o) => o.record));
    events.push(stepEvent(step, outcomes));
    const said = response.choices[0]?.text ?? null;
    messages = [...messages, { role: "assistant", content: said, toolCalls: calls }, ...outcomes.map((o): Message => ({ role: "tool", toolCallId: o.call.id, content: o.content }))];
    toolChoice = laterChoice(toolChoice);
  }
}

/**
 * The tool loop stage (between enforceBudgets and dispatch): on a route with server-side
 * tools it produces the answer itself and dispatch relays it; other requests pass through.
 */
export const toolLoop: Stage<GatewayContext> = async (ctx, next) => {
  const route = ctx.route!;
  const request = ctx.request!;
  if (!route.tools || request.embedding) return next();
  if ((request.n ?? 1) > 1) throw new InvalidRequestError("unsupported_parameter", "n > 1 is not supported on a model with server-side tools.", { param: "n" });
  const tools = await ctx.services.tools.registry.forRoute(route);
  const { response, events } = await runLoop(ctx, request, tools, route.tools.loop);
  const answered = ctx.attempts.at(-1)!;
  ctx.responseHeaders["x-tollgate-target"] = `${answered.provider}/${answered.model}`;
  ctx.responseHeaders["x-tollgate-attempts"] = String(ctx.attempts.length);
  ctx.responseHeaders["x-tollgate-tool-calls"] = String(ctx.toolCalls.length);
  // Steps are built from the canonical fields, so fields Tollgate does not model never reached the model.
  if (request.dropped?.length) ctx.responseHeaders["x-tollgate-dropped"] = request.dropped.map(headerSafe).join(", ");
  ctx.upstream = builtAnswer(request, response, ctx.signal, events);
  await next();
};
