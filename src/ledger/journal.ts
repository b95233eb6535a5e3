import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fdatasync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Unit } from "../budgets/types.js";
import type { Identity } from "../spec/identity.js";
import type { RequestRecord } from "../spec/request-record.js";

/** A budget counter a request reserved on, enough to settle it after a crash. */
export interface JournalBudgetLine {
  counter: string;
  /** Epoch ms; null for a window without end ("total"). */
  windowEndsAt: number | null;
  unit: Unit;
}

/** What is known of a request when its first upstream call starts: enough to bill it if the process dies. */
export interface JournalBegin {
  id: string;
  startedAt: number;
  api: RequestRecord["api"];
  stream: boolean;
  route?: string;
  identity?: Identity;
  provider: string;
  model: string;
  /** Input tokens as the budget reservation counts them (docs/accounting.md). */
  inputTokens: number;
  budget?: JournalBudgetLine[];
}

/** A request an earlier process began upstream and never finished: found at start. */
export interface OpenRequest extends JournalBegin {
  /** Output tokens relayed to the client by the last progress line before the process died. */
  outputTokens: number;
  /** The last time the earlier process wrote about it (epoch ms). */
  lastSeenAt: number;
}

export interface JournalOptions {
  /** A segment this large is closed and a new one begun; a closed segment whose records are all in the database is deleted. */
  segmentBytes?: number;
  /** How often in-flight output is written down and the file fsync'd (ms). */
  tickMs?: number;
  onError?: (err: unknown) => void;
}

/** A request ended (in an earlier process) whose budget reservation was never settled. */
export interface UnsettledRequest {
  budget: JournalBudgetLine[];
  record: RequestRecord;
}

/** A request began upstream; its relayed output so far; it ended; these records are in the database; its reservation was settled. */
type Line = { b: JournalBegin } | { p: Record<string, number>; at: number } | { e: RequestRecord } | { c: string[] } | { s: string };

/** Per request: where its lines are and what still holds its segments. */
interface Entry {
  beginSegment?: number;
  endSegment?: number;
  /** "open": began, not ended; "pending": ended, the writer holds it in memory; "spooled": ended, waiting for the database in the file only. */
  state: "open" | "pending" | "spooled";
}

const SEGMENT = /^journal-(\d+)\.jsonl$/;
/** The outage spool of earlier versions: plain records, one per line; read as the oldest segment. */
const LEGACY_SPOOL = "ledger-spool.jsonl";
const segmentName = (n: number) => (n === 0 ? LEGACY_SPOOL : `journal-${String(n).padStart(8, "0")}.jsonl`);
/** Directories this process journals to: two gateways must not share one. */
const held = new Set<string>();

/**
 * The ledger's write-ahead journal: one append-only local file (in segments) that every
 * finished request's record reaches with a synchronous write before its response ends,
 * and that the records of requests still upstream (begin, progress) reach as they go. A
 * process killed at any moment leaves every finished record in the file (written to the
 * OS, which keeps it whatever happens to the process); the next start replays those the
 * database does not have and bills the requests that were in flight as `interrupted`.
 *
 * It is also the outage spool: while the database is down, records stay here only (the
 * writer drops them from memory) and are replayed from here in order.
 *
 * Settlements and commits are hints that ride along with the next line (see `hint`).
 *
 * fsync: each append is a write(2), not an fsync; every `tickMs` the file is fdatasync'd in
 * the background if anything was written. A SIGKILL or crash of the process loses nothing;
 * a power loss or kernel crash loses at most the last tick's lines.
 */
export class Journal {
  private readonly segmentBytes: number;
  private readonly entries = new Map<string, Entry>();
  /** Lines of each segment still needed: begins not ended, ends not in the database. */
  private readonly unresolved = new Map<number, number>();
  /** Segments on disk, ascending. */
  private readonly segments: number[] = [];
  /** Requests in flight: their relayed output so far, in tokens, and the last figure written. */
  /** Requests begun and not ended: their relayed tokens, and the identity their begin line billed (the end line bills the same). */
  private readonly live = new Map<string, { relayed: () => number; written: number; identity?: Identity; billed?: Identity }>();
  /** Requests that reserved budget and have not settled it: their begin line (and segment) is kept until they do. */
  private readonly unsettled = new Map<string, { segment: number; budget: JournalBudgetLine[] }>();
  private readonly lockPath: string;
  private readonly key: string;
  private readonly timer: NodeJS.Timeout;
  private fd: number;
  private current: number;
  private currentBytes = 0;
  /** Lines written with the next one (see `hint`). */
  private hints = "";
  /** Where `write` encodes the lines of one write(2); used only within it (synchronously). */
  private readonly scratch = Buffer.allocUnsafe(64 * 1024);
  private dirty = false;
  private syncing = false;
  private spooledCount = 0;
  private closed = false;
  /** Requests found open at start; the gateway bills them as interrupted, ends them and settles their reservations. */
  readonly recovered: OpenRequest[];
  /** Requests an earlier process finished but died before settling their reservations; the gateway settles them. */
  readonly unsettledRecovered: UnsettledRequest[] = [];
  /**
   * Names the gateway using this directory, the same across its restarts (kept in `instance-id`):
   * the budget store's leases carry it, so a restart can settle and release its predecessor's.
   */
  readonly instanceId: string;

  constructor(
    readonly dir: string,
    private readonly options: JournalOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    mkdirSync(dir, { recursive: true });
    this.key = realpathSync(dir);
    this.lockPath = join(dir, "journal.lock");
    this.lock();
    this.instanceId = this.readInstanceId();
    this.recovered = this.recover();
    this.current = (this.segments.at(-1) ?? 0) + 1;
    this.fd = this.openSegment(this.current);
    this.timer = setInterval(() => this.tick(), options.tickMs ?? 250).unref();
  }

  /** Records ended (here or by an earlier process) that are only in the file, waiting for the database. */
  get spooled(): number {
    return this.spooledCount;
  }

  /** True once the request has a line here (began or ended) in this process. */
  tracks(id: string): boolean {
    return this.entries.has(id);
  }

  /** A request's first upstream call starts; `relayed` tells how many output tokens reached the client so far. */
  begin(entry: JournalBegin, relayed: () => number): void {
    if (this.closed || this.entries.has(entry.id)) return;
    const billed = entry.identity && billedIdentity(entry.identity);
    this.append({ b: billed ? { ...entry, identity: billed } : entry });
    this.entries.set(entry.id, { beginSegment: this.current, state: "open" });
    this.hold(this.current);
    this.live.set(entry.id, billed ? { relayed, written: 0, identity: entry.identity, billed } : { relayed, written: 0 });
    if (entry.budget?.length) this.holdUnsettled(entry.id, this.current, entry.budget);
  }

  /** The request's budget reservation was settled: nothing is left to do for it after a crash. */
  settled(id: string): void {
    const unsettled = this.unsettled.get(id);
    if (!unsettled || this.closed) return;
    this.hint({ s: id });
    this.unsettled.delete(id);
    this.release(unsettled.segment);
    this.prune();
  }

  private holdUnsettled(id: string, segment: number, budget: JournalBudgetLine[]): void {
    this.unsettled.set(id, { segment, budget });
    this.hold(segment);
  }

  /** A request is over: its record is in the OS before this returns. Once per request; later calls are ignored. */
  end(record: RequestRecord): void {
    const entry = this.entries.get(record.id);
    if (this.closed || entry?.endSegment !== undefined) return;
    const live = this.live.get(record.id);
    // The same identity as the begin line's (identities are not changed once set): billed once.
    const billed = record.identity && (live?.identity === record.identity ? live.billed! : billedIdentity(record.identity));
    this.append({ e: billed ? { ...record, identity: billed } : record });
    this.live.delete(record.id);
    if (entry?.beginSegment !== undefined) this.release(entry.beginSegment);
    this.entries.set(record.id, { endSegment: this.current, state: "pending" });
    this.hold(this.current);
  }

  /** The writer let go of these records (the database is down): they wait in the file. */
  spool(ids: readonly string[]): void {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry?.state !== "pending") continue;
      entry.state = "spooled";
      this.spooledCount++;
    }
  }

  /** These records are in the database (or set aside as rejected): their lines are no longer needed. */
  committed(ids: readonly string[]): void {
    const done = ids.filter((id) => this.entries.get(id)?.endSegment !== undefined);
    if (done.length === 0) return;
    // Noted, so that a restart replays only what the database may lack.
    if (!this.closed) this.hint({ c: done });
    for (const id of done) this.forget(id);
    this.prune();
  }

  private forget(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.endSegment === undefined) return;
    if (entry.state === "spooled") this.spooledCount--;
    this.entries.delete(id);
    this.release(entry.endSegment);
  }

  /** The spooled records in the order they ended, `size` at a time, read back from the file. */
  *spooledBatches(size: number): Generator<RequestRecord[]> {
    let batch: RequestRecord[] = [];
    for (const segment of [...this.segments]) {
      for (const line of this.read(segment)) {
        const record = "e" in line ? line.e : undefined;
        if (!record || this.entries.get(record.id)?.state !== "spooled") continue;
        batch.push(record);
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Writes what is left, fsyncs and releases the directory. Records not yet in the database stay in the file for the next start. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.writeProgress();
    this.writeHints();
    try {
      fdatasyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.prune();
      if (this.unresolved.get(this.current) === undefined && this.segments.length === 1) this.remove(this.current);
      held.delete(this.key);
      try {
        unlinkSync(this.lockPath);
      } catch (err) {
        this.report(err);
      }
    }
  }

  /** One writer per directory: another live process (or gateway in this one) holding it is a configuration error. */
  private readInstanceId(): string {
    const path = join(this.dir, "instance-id");
    if (existsSync(path)) {
      const id = readFileSync(path, "utf8").trim();
      if (id) return id;
    }
    const id = randomUUID();
    writeFileSync(path, id);
    return id;
  }

  private lock(): void {
    if (held.has(this.key)) throw new Error(`The ledger journal in ${this.dir} is already in use by another gateway in this process; give each its own ledger.spoolDir.`);
    try {
      writeFileSync(this.lockPath, String(process.pid), { flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(this.lockPath, "utf8"));
      if (owner !== process.pid && alive(owner)) throw new Error(`The ledger journal in ${this.dir} is in use by process ${owner}; give each instance its own ledger.spoolDir.`);
      // Left by a process that died: this is the restart it was waiting for.
      writeFileSync(this.lockPath, String(process.pid));
    }
    held.add(this.key);
  }

  /** Reads every segment left on disk: records ended but maybe not in the database, and requests that never ended. */
  private recover(): OpenRequest[] {
    const numbers = readdirSync(this.dir)
      .map((name) => (name === LEGACY_SPOOL ? 0 : Number(SEGMENT.exec(name)?.[1] ?? NaN)))
      .filter((n) => Number.isInteger(n))
      .sort((a, b) => a - b);
    const open = new Map<string, OpenRequest>();
    const ended = new Map<string, RequestRecord>();
    for (const segment of numbers) {
      this.segments.push(segment);
      for (const line of this.read(segment, true)) {
        if ("b" in line) {
          open.set(line.b.id, { ...line.b, outputTokens: 0, lastSeenAt: line.b.startedAt });
          this.entries.set(line.b.id, { beginSegment: segment, state: "open" });
          this.hold(segment);
          if (line.b.budget?.length) this.holdUnsettled(line.b.id, segment, line.b.budget);
        } else if ("s" in line) {
          const unsettled = this.unsettled.get(line.s);
          if (unsettled) this.release(unsettled.segment);
          this.unsettled.delete(line.s);
        } else if ("p" in line) {
          for (const [id, tokens] of Object.entries(line.p)) {
            const request = open.get(id);
            if (request) Object.assign(request, { outputTokens: tokens, lastSeenAt: line.at });
          }
        } else if ("c" in line) {
          for (const id of line.c) this.forget(id);
        } else {
          const id = line.e.id;
          const entry = this.entries.get(id);
          if (entry?.endSegment !== undefined) continue;
          ended.set(id, line.e);
          open.delete(id);
          if (entry?.beginSegment !== undefined) this.release(entry.beginSegment);
          this.entries.set(id, { endSegment: segment, state: "spooled" });
          this.spooledCount++;
          this.hold(segment);
        }
      }
    }
    for (const [id, { budget }] of this.unsettled) {
      const record = ended.get(id);
      if (record) this.unsettledRecovered.push({ budget, record });
    }
    return [...open.values()];
  }

  /** The lines of a segment; a torn last line (the process died mid-write) or a damaged one is skipped (reported once, at recovery). */
  private read(segment: number, reportBad = false): Line[] {
    const path = join(this.dir, segmentName(segment));
    if (!existsSync(path)) return [];
    const lines: Line[] = [];
    for (const text of readFileSync(path, "utf8").split("\n")) {
      if (text.trim() === "") continue;
      try {
        const value = JSON.parse(text) as Line | RequestRecord;
        lines.push(segment === 0 ? { e: value as RequestRecord } : (value as Line));
      } catch (err) {
        if (reportBad) this.report(new Error(`${path}: skipped a line that is not JSON (a write cut short by a crash)`, { cause: err }));
      }
    }
    return lines;
  }

  /**
   * Writes the line, with the hints waiting before it, in one write(2). A full segment is closed
   * before the write, not after: callers hold `current` as the segment their line is in.
   */
  private append(line: Line): void {
    if (this.currentBytes >= this.segmentBytes) this.rotate();
    this.write(JSON.stringify(line));
  }

  /**
   * A line recovery can do without (a settlement, a commit): it leaves with the next line or
   * tick, not in a write(2) of its own. If the process dies first, a restart settles only
   * reservations still held and skips records the database already has, so the same end comes.
   */
  private hint(line: Line): void {
    this.hints += `${JSON.stringify(line)}\n`;
  }

  private writeHints(): void {
    if (this.hints !== "") this.write();
  }

  /**
   * One write(2) of the hints waiting, then `line` (JSON text) and its newline, encoded one after
   * the other into `scratch`: joined into one string first, the line would be copied once more
   * (V8 flattens a joined string to encode it), and that copy was the journal's largest
   * allocation per request. A line too long for `scratch` is written as a string.
   */
  private write(line?: string): void {
    const hints = this.hints;
    this.hints = "";
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if ((hints.length + (line?.length ?? 0)) * 3 + 1 > this.scratch.length) {
      this.currentBytes += writeSync(this.fd, line === undefined ? hints : `${hints}${line}\n`);
    } else {
      let bytes = this.scratch.write(hints);
      if (line !== undefined) {
        bytes += this.scratch.write(line, bytes);
        this.scratch[bytes++] = 0x0a;
      }
      this.currentBytes += writeSync(this.fd, this.scratch, 0, bytes);
    }
    this.dirty = true;
  }

  private rotate(): void {
    const old = this.fd;
    this.current++;
    this.fd = this.openSegment(this.current);
    fdatasync(old, (err) => {
      if (err) this.report(err);
      closeSync(old);
    });
    this.prune();
  }

  private openSegment(segment: number): number {
    // Always a new file: a torn last line left by a killed process stays in its own segment.
    const fd = openSync(join(this.dir, segmentName(segment)), "a");
    this.currentBytes = 0;
    if (!this.segments.includes(segment)) this.segments.push(segment);
    return fd;
  }

  private hold(segment: number): void {
    this.unresolved.set(segment, (this.unresolved.get(segment) ?? 0) + 1);
  }

  private release(segment: number): void {
    const left = (this.unresolved.get(segment) ?? 1) - 1;
    if (left > 0) this.unresolved.set(segment, left);
    else this.unresolved.delete(segment);
  }

  /** Deletes closed segments with nothing left in them, oldest first: a later segment never outlives an earlier one it may need. */
  private prune(): void {
    while (this.segments.length > 0) {
      const oldest = this.segments[0]!;
      if (oldest === this.current || this.unresolved.has(oldest)) return;
      this.remove(oldest);
    }
  }

  private remove(segment: number): void {
    try {
      unlinkSync(join(this.dir, segmentName(segment)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.report(err);
    }
    this.segments.splice(this.segments.indexOf(segment), 1);
  }

  /** Every tick: how much of each live answer has been relayed, then an fsync of what was written. */
  private tick(): void {
    this.writeProgress();
    this.writeHints();
    if (!this.dirty || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      if (err) this.report(err);
    });
  }

  private writeProgress(): void {
    let progress: Record<string, number> | undefined;
    for (const [id, live] of this.live) {
      const tokens = live.relayed();
      if (tokens === live.written) continue;
      live.written = tokens;
      (progress ??= {})[id] = tokens;
    }
    if (progress) this.append({ p: progress, at: Date.now() });
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error hook must not break the journal.
    }
  }
}

/**
 * The caller as a line needs it: who to bill (the ledger's key, user, team, end user, tags).
 * Its limits and allow-lists, checked before the call, are left out: they are most of its
 * JSON, on two lines per request, and nothing read back from the file looks at them.
 */
function billedIdentity(identity: Identity): Identity {
  const { limits: _limits, userLimits: _userLimits, teamLimits: _teamLimits, allowedModels: _allowedModels, allowedOrigins: _allowedOrigins, ...billed } = identity;
  return billed;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
