import { setImmediate as nextTurn } from "node:timers/promises";
import { interruptible, waitForAbort } from "./abort.js";
import { argumentsFrame, contentFrame, DONE_FRAME, finishFrame, MALFORMED_FRAME, roleFrame, usageFrame, wireUsage, type WireContext } from "./chat-wire.js";
import type { SimulatorClock } from "./clock.js";
import type { CompletionPlan } from "./completion-plan.js";
import { connectionReset } from "./connection-errors.js";
import type { ActiveFault } from "./faults.js";
import { utf8 } from "./response-body.js";

interface Pacing {
  ttftMs: number;
  /** Absent: unpaced. */
  tokensPerSecond?: number;
}

export interface StreamRun {
  ctx: WireContext;
  plan: CompletionPlan;
  pacing: Pacing;
  /** A mid-stream fault to act out. */
  fault?: ActiveFault & { kind: "stall" | "cut" | "malformed" };
  clock: SimulatorClock;
  /** The caller's signal: aborting it makes the body throw its reason. */
  signal: AbortSignal;
  /** Aborted by the response's destroy(): the body ends quietly. */
  destroyed: AbortSignal;
}

/** Frames due together: the role chunks, one token of every open choice, finishes, or the end. */
interface FrameGroup {
  kind: "role" | "round" | "finish" | "end";
  /** Milliseconds after the request that the group is due. */
  due: number;
  frames: string;
}

/** Bytes gathered into one yielded buffer when frames are due faster than timers fire. */
const MAX_BATCH_CHARS = 16 * 1024;

function* frameGroups(ctx: WireContext, plan: CompletionPlan, pacing: Pacing): Generator<FrameGroup, void, undefined> {
  const interval = pacing.tokensPerSecond ? 1000 / pacing.tokensPerSecond : 0;
  const ttft = pacing.ttftMs;
  yield {
    kind: "role",
    due: ttft,
    frames: plan.choices.map((c) => roleFrame(ctx, c.index, c.kind === "tool" ? { id: c.id, name: c.name } : undefined)).join(""),
  };
  // A tool call's name counts toward its completion tokens, as OpenAI counts it.
  let completionTokens = plan.choices.reduce((sum, c) => sum + (c.kind === "tool" ? c.nameTokens : 0), 0);
  let open = plan.choices;
  let round = 0;
  while (open.length > 0) {
    let frames = "";
    let content = false;
    const still: typeof open = [];
    for (const choice of open) {
      const next = choice.pieces.next();
      if (next.done) {
        frames += finishFrame(ctx, choice.index, next.value);
        continue;
      }
      frames += choice.kind === "tool" ? argumentsFrame(ctx, choice.index, next.value) : contentFrame(ctx, choice.index, next.value);
      completionTokens++;
      content = true;
      still.push(choice);
    }
    open = still;
    if (content) yield { kind: "round", due: ttft + round++ * interval, frames };
    else yield { kind: "finish", due: ttft + Math.max(0, round - 1) * interval, frames };
  }
  const usage = ctx.includeUsage ? usageFrame(ctx, wireUsage(plan.promptTokens, completionTokens)) : "";
  yield { kind: "end", due: ttft + Math.max(0, round - 1) * interval, frames: usage + DONE_FRAME };
}

/**
 * The SSE body of a streamed answer: one token per chunk, paced by the clock. Frames that
 * are already due share one buffer, so a fast simulator does not sleep per token.
 */
export async function* streamBody(run: StreamRun): AsyncGenerator<Uint8Array, void, undefined> {
  const { clock, signal, destroyed, fault } = run;
  const linked = AbortSignal.any([signal, destroyed]);
  const start = clock.now();
  /** True while the reader still wants bytes; throws the caller's reason once aborted. */
  const live = (): boolean => {
    if (signal.aborted) throw signal.reason;
    return !destroyed.aborted;
  };
  let faultPending = fault !== undefined;
  let rounds = 0;
  let pending = "";

  if (!live()) return;
  for (const group of frameGroups(run.ctx, run.plan, run.pacing)) {
    if (fault && faultPending && rounds >= fault.afterTokens && (group.kind !== "role" || fault.afterTokens === 0)) {
      faultPending = false;
      if (fault.kind === "malformed") {
        pending += MALFORMED_FRAME;
      } else {
        if (pending) {
          yield utf8(pending);
          pending = "";
          if (!live()) return;
        }
        if (fault.kind === "cut") throw connectionReset();
        // stall: the connection stays open and silent until the reader gives up.
        await interruptible(waitForAbort(linked), signal, destroyed);
        return;
      }
    }
    const wait = start + group.due - clock.now();
    if (wait > 0) {
      if (pending) {
        yield utf8(pending);
        pending = "";
        if (!live()) return;
      }
      if (!(await interruptible(clock.sleep(wait, linked), signal, destroyed))) return;
    } else if (!live()) {
      return;
    }
    pending += group.frames;
    if (group.kind === "round") rounds++;
    if (pending.length >= MAX_BATCH_CHARS) {
      yield utf8(pending);
      pending = "";
      if (!live()) return;
      // Nothing was due to sleep on: give I/O a turn before the next batch.
      await nextTurn();
      if (!live()) return;
    }
  }
  if (pending) yield utf8(pending);
}
