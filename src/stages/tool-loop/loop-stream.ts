import { InternalError } from "../../errors/gateway-error.js";
import type { AnswerStream } from "../../engine/answer-stream.js";
import type { RoutedContext } from "../context.js";
import { meterAttempt, usageOf } from "../../engine/final-usage.js";
import { closeAnswer, openAnswer, type OpenedAnswer } from "../../engine/open-answer.js";
import type { StreamConsumer, StreamOutcome } from "../../engine/upstream-stream.js";
import { UsageTap } from "../../engine/usage-tap.js";
import type { ToolCall } from "../../spec/canonical-request.js";
import type { FinishReason, StreamEvent, UpstreamChunk } from "../../spec/stream-events.js";
import { totalUsage, type LoopRun } from "./loop-run.js";

/** What one streamed step said, once it ended: its text and its (held back) tool calls and finish. */
interface StepResult {
  text: string;
  calls: ToolCall[];
  finish: FinishReason | undefined;
}

type Opened = OpenedAnswer & { opened: { kind: "stream" } };

function asStream(answer: OpenedAnswer): Opened {
  if (answer.opened.kind !== "stream") throw new InternalError(new Error(`A streamed step got a ${answer.opened.kind}.`));
  return answer as Opened;
}

/** Opens the loop's current step as a stream: up to its first content, with retries and fallback. */
export async function openStreamedStep(ctx: RoutedContext, run: LoopRun): Promise<Opened> {
  return asStream(await openAnswer(ctx, await run.stepRequest(true), ctx.route));
}

/**
 * A tool loop for a streaming client, live: each step's text and reasoning reach the
 * client as the model writes them, while its tool calls, finish and usage are held
 * back. A step that asked for server tools then runs them (their step event goes out as
 * it ends) and the next step continues the same answer; the step that answers ends it
 * with the client's own calls, its finish, and the usage of every step.
 */
export class LoopStream implements AnswerStream {
  readonly tap = new UsageTap();
  outcome: StreamOutcome = "open";
  error: unknown;
  private current: Opened | undefined;

  constructor(
    private readonly ctx: RoutedContext,
    private readonly run: LoopRun,
    first: Opened,
  ) {
    this.current = first;
  }

  async pipe(consumer: StreamConsumer): Promise<void> {
    try {
      for (;;) {
        const answer = this.current!;
        const result = await this.relayStep(answer, consumer, this.run.step === 1);
        if (this.run.isFinal(result.calls)) {
          await this.emit(consumer, this.ending(result));
          break;
        }
        await this.emit(consumer, [await this.run.runTools(result.calls, result.text || null)]);
        this.current = await openStreamedStep(this.ctx, this.run);
      }
      this.outcome = "complete";
    } catch (err) {
      this.outcome = this.ctx.signal.aborted ? "cancelled" : "failed";
      this.error = err;
      throw err;
    }
  }

  dispose(): void {
    if (this.current) this.close(this.current);
    if (this.outcome === "open") this.outcome = "cancelled";
  }

  /** Relays one step's text live and collects what is held back; the step is closed and metered however it ends. */
  private async relayStep(answer: Opened, consumer: StreamConsumer, first: boolean): Promise<StepResult> {
    const result: StepResult = { text: "", calls: [], finish: undefined };
    const calls = new Map<number, ToolCall>();
    try {
      await answer.opened.stream.pipe({
        chunks: (batch) => {
          const live: StreamEvent[] = [];
          for (const chunk of batch) {
            for (const e of chunk.events) {
              if ("choice" in e && e.choice !== 0) continue;
              if (e.type === "response-start" && first) live.push(e);
              else if (e.type === "text-delta") {
                result.text += e.text;
                live.push(e);
              } else if (e.type === "reasoning-delta") live.push(e);
              else if (e.type === "tool-call-delta") {
                const call = calls.get(e.index) ?? { id: "", name: "", arguments: "" };
                calls.set(e.index, { id: e.id || call.id, name: call.name + (e.name ?? ""), arguments: call.arguments + e.argumentsDelta });
              } else if (e.type === "finish") result.finish = e.reason;
            }
          }
          return live.length > 0 ? this.emit(consumer, live) : undefined;
        },
      });
    } finally {
      this.close(answer);
    }
    result.calls = [...calls.entries()].sort(([a], [b]) => a - b).map(([i, c]) => ({ ...c, id: c.id || `call_${this.run.step}_${i}` }));
    return result;
  }

  /** The end of the answer: the client's own calls, the finish, and the usage of every step. */
  private ending(result: StepResult): StreamEvent[] {
    const clientCalls = this.run.clientCalls(result.calls);
    const events: StreamEvent[] = clientCalls.map((call, index) => ({ type: "tool-call-delta", choice: 0, index, id: call.id, name: call.name, argumentsDelta: call.arguments }));
    events.push({ type: "finish", choice: 0, reason: clientCalls.length > 0 ? "tool_calls" : (result.finish ?? "stop") });
    const usage = totalUsage(this.ctx);
    if (usage) events.push({ type: "usage", usage });
    return events;
  }

  private emit(consumer: StreamConsumer, events: StreamEvent[]): Promise<void> | undefined {
    this.tap.observe(events);
    const chunk: UpstreamChunk = { raw: "", events };
    return consumer.chunks([chunk]);
  }

  /** Closes a step's upstream (once) and meters it on its attempt. */
  private close(answer: Opened): void {
    if (this.current === answer) this.current = undefined;
    if (answer.record.usage) return;
    closeAnswer(this.ctx, answer);
    meterAttempt(this.ctx, answer.record, usageOf(this.ctx.request, answer.opened));
  }
}
