/**
 * Progress of long CLI work, on stderr only (stdout stays clean for --json and pipes).
 * On a terminal: one spinner line rewritten in place. Otherwise: plain lines when a step
 * is shown, every `intervalMs` while it runs, and when it ends. A step that finishes
 * within `showAfterMs` prints nothing, so quick commands stay quiet.
 * TOLLGATE_PROGRESS=tty|plain forces a style (and shows every step at once); =off silences it.
 */
export type ProgressStyle = "tty" | "plain" | "off";

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  env?: Record<string, string | undefined>;
  /** Steps that end sooner are never shown (default 1 s; 0 when the style is forced). */
  showAfterMs?: number;
  /** Plain style: how often a running step repeats its line (default 5 s). */
  intervalMs?: number;
}

export interface ProgressTask {
  /** Work done so far, of `total` when one was given; `note` says what is being done. */
  update(done: number, note?: string): void;
  /** Ends the step, successfully or not. */
  end(ok?: boolean, note?: string): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SPIN_MS = 100;

function styleOf(stream: ProgressStream, env: Record<string, string | undefined>): { style: ProgressStyle; forced: boolean } {
  const wanted = env.TOLLGATE_PROGRESS;
  if (wanted === "tty" || wanted === "plain" || wanted === "off") return { style: wanted, forced: wanted !== "off" };
  return { style: stream.isTTY ? "tty" : "plain", forced: false };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export class Progress {
  private readonly stream: ProgressStream;
  private readonly style: ProgressStyle;
  private readonly showAfterMs: number;
  private readonly intervalMs: number;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    const { style, forced } = styleOf(this.stream, options.env ?? process.env);
    this.style = style;
    this.showAfterMs = options.showAfterMs ?? (forced ? 0 : 1_000);
    this.intervalMs = options.intervalMs ?? 5_000;
  }

  /** Starts a step; `total` makes updates show a percentage. */
  start(label: string, total?: number): ProgressTask {
    if (this.style === "off") return { update() {}, end() {} };
    const startedAt = Date.now();
    let done = 0;
    let note = "";
    let shown = false;
    let frame = 0;
    let timer: NodeJS.Timeout | undefined;
    const status = () => {
      const pct = total ? ` ${Math.min(100, Math.floor((done / total) * 100))}% (${done}/${total})` : "";
      return `${label}${pct}${note ? ` ${note}` : ""}`;
    };
    const render = () => {
      const elapsed = seconds(Date.now() - startedAt);
      if (this.style === "tty") this.stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${status()} ${elapsed}`);
      else this.stream.write(shown ? `${status()}... ${elapsed}\n` : `${status()}...\n`);
      shown = true;
    };
    const show = () => {
      render();
      timer = setInterval(render, this.style === "tty" ? SPIN_MS : this.intervalMs);
      timer.unref();
    };
    if (this.showAfterMs === 0) show();
    else {
      timer = setTimeout(show, this.showAfterMs);
      timer.unref();
    }
    return {
      update(n, text) {
        done = n;
        if (text !== undefined) note = text;
      },
      end: (ok = true, text) => {
        clearTimeout(timer);
        clearInterval(timer);
        if (!shown) return;
        if (text !== undefined) note = text;
        const line = `${ok ? "done" : "failed"}: ${status()} in ${seconds(Date.now() - startedAt)}`;
        this.stream.write(this.style === "tty" ? `\r\x1b[2K${ok ? "✓" : "✗"} ${line}\n` : `${line}\n`);
      },
    };
  }

  /** Writes a line of other output without garbling a spinner (which redraws on its next frame). */
  print(line: string): void {
    if (this.style === "off") this.stream.write(`${line}\n`);
    else this.stream.write(this.style === "tty" ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  /** Shows `label` while `work` runs. */
  async step<T>(label: string, work: () => Promise<T>): Promise<T> {
    const task = this.start(label);
    try {
      const result = await work();
      task.end(true);
      return result;
    } catch (err) {
      task.end(false);
      throw err;
    }
  }
}
