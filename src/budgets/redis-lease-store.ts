import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Cluster, Redis } from "ioredis";
import { checkReservationId, checkReserve, checkSettle } from "./check-lines.js";
import { budgetClient, firstConnection, type RedisBudgetStoreOptions } from "./redis-client.js";
import { LEASE_LUA } from "./redis-lease-lua.js";
import { READ_LUA } from "./redis-lua.js";
import { MAX_BATCH, RedisScript } from "./redis-script.js";
import type { BudgetStore, CounterLine, CounterState, ReserveResult, SettleOptions } from "./types.js";
import { WINDOW_GRACE_MS } from "./windows.js";

export interface RedisLeaseStoreOptions extends RedisBudgetStoreOptions {
  /**
   * Names this gateway across restarts (the journal's instance id): a restart settles what its
   * predecessor's journal left against the predecessor's leases, then releases them. Default: a
   * name of this process only.
   */
  owner?: string;
  /** A lease nothing is drawn on for this long is handed back (default 2 s). */
  idleMs?: number;
  /** A lease outlives the longest reservation TTL asked for by this much, renewed meanwhile (default 30 s). */
  leaseSlackMs?: number;
  /** Room beyond a request's need is drawn only while it is at most this share of what remains (default 1/16). */
  share?: number;
}

/** A draw asks room for this many more requests like the one drawing, or for as much again as is in use... */
const LEASE_REQUESTS = 4;
/**
 * ...or for what the counter spent here since the last draw, at that rate for this long: requests
 * one after another then draw about once per this period, not every few requests (a round trip
 * each, before the request goes upstream). The share rule (LEASE_LUA) still caps it near a limit.
 */
const LEASE_RATE_MS = 1_000;
/** The rate is read over at least this long: a burst just after a draw does not ask for ten times what it is. */
const MIN_RATE_SPAN_MS = 100;
/** How long a restart's recovery waits for Redis before giving up (the leases then expire on their own). */
const RECOVERY_WAIT_MS = 30_000;
/** Done marks kept per owner: far more than one flush's settlements, the only ones a dead journal may not know. */
const MAX_MARKS = 20_000;

const leaseScript = new RedisScript(LEASE_LUA);
const readScript = new RedisScript(READ_LUA);

type Settlement = Pick<CounterLine, "counter" | "amount" | "windowEndsAt">;

/** This instance's lease on one counter, as far as it knows. */
interface Lease {
  windowEndsAt: number;
  /** What Redis said the lease holds in its last answer. */
  confirmed: number;
  /** Decrements (spend moved out, parts handed back) in the script in flight, and queued for the next. */
  sent: number;
  unsent: number;
  /** Reservations granted from the lease and not settled. */
  holds: number;
  /** The limit it was drawn under: a request with a lower one asks Redis. */
  limit: number;
  /** Local ms: a reservation is granted locally only if it ends before this (the lease is renewed past it). */
  validUntil: number;
  renewedAt: number;
  lastUsed: number;
  /** Local ms of the last draw, and what was spent on the counter here since (for LEASE_RATE_MS). */
  drawnAt: number;
  spentSinceDraw: number;
}

type Hold = Pick<CounterLine, "counter" | "amount">;

interface Held {
  /** What it holds on each counter, one line per counter: most often the request's own lines (see `perCounter`). */
  lines: readonly Hold[];
  expiresAt: number;
}

/** A draw's part taken from the lease at once (`claimed`), and what it asks Redis for the lease (`want`); `line.amount` is the total. */
interface Claim {
  line: CounterLine;
  claimed: number;
  want: number;
}

type Ordered =
  | {
      kind: "d";
      id: string;
      lines: readonly CounterLine[];
      claims: Claim[];
      ttlMs: number;
      resolve: (r: ReserveResult) => void;
      reject: (e: unknown) => void;
    }
  | { kind: "p"; id: string; lines: readonly Settlement[]; resolve: () => void; reject: (e: unknown) => void }
  | { kind: "z"; counters: string[]; resolve: () => void; reject: (e: unknown) => void };

const OK: ReserveResult = { ok: true };

/**
 * Counters shared by every instance, spent from leases. A lease is a reservation in Redis under
 * this instance's lease id, drawn atomically like any other (`spent + reserved + amount ≤ limit`),
 * sized for several requests; a request that fits in what the lease has free is granted here
 * with no round trip. The sum of all leases and spend never exceeds a limit, so neither can the
 * requests granted from them, on one instance or many. What is spent moves from the lease to
 * `spent` in the next script; a lease is renewed while in use and handed back when idle or on
 * close; a dead instance's lease expires after the longest reservation TTL (plus a slack).
 * One script is in flight at a time; everything called meanwhile goes in the next one.
 */
export class RedisLeaseStore implements BudgetStore {
  readonly kind = "redis";
  private readonly client: Redis | Cluster;
  private readonly owned: boolean;
  private readonly tag: string;
  private readonly clock: (() => number) | undefined;
  private readonly graceMs: number;
  private readonly idleMs: number;
  private readonly slackMs: number;
  private readonly share: number;
  private readonly leaseId: string;
  private readonly ownerPrefix: string;
  private readonly marksKey: string;
  private readonly ownersKey: string;
  private readonly timer: NodeJS.Timeout;
  private connection: Promise<void> | undefined;
  /** The longest reservation TTL asked for: a lease must outlive the reservations granted from it. */
  private maxTtl = 0;
  private readonly leases = new Map<string, Lease>();
  private readonly held = new Map<string, Held>();
  /** No held reservation expires before this. */
  private nextExpiry = Infinity;
  // What the next script carries.
  private takes = new Map<string, { take: number; spend: number }>();
  private returns = new Map<string, number>();
  private marks: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private ordered: Ordered[] = [];
  private renew = new Set<string>();
  private inFlight: Promise<void> | undefined;
  private scheduled = false;

  constructor(client: Redis | Cluster | string, prefix = "tollgate", options: RedisLeaseStoreOptions = {}) {
    if (prefix.length === 0 || /[{}]/.test(prefix)) throw new RangeError(`Budget key prefix must be non-empty and without braces, got "${prefix}".`);
    this.owned = typeof client === "string";
    this.client = typeof client === "string" ? budgetClient(client, options.commandTimeoutMs) : client;
    this.tag = `{${prefix}}`;
    this.clock = options.clock;
    this.graceMs = options.graceMs ?? WINDOW_GRACE_MS;
    this.idleMs = options.idleMs ?? 2_000;
    this.slackMs = options.leaseSlackMs ?? 30_000;
    this.share = options.share ?? 1 / 16;
    const owner = options.owner ?? randomUUID();
    this.ownerPrefix = `L:${owner}:`;
    this.leaseId = `${this.ownerPrefix}${randomUUID()}`;
    this.marksKey = `${this.tag}:d:${owner}`;
    this.ownersKey = `${this.tag}:o:${owner}`;
    this.timer = setInterval(() => this.tick(), Math.min(1_000, this.idleMs, this.slackMs / 6)).unref();
  }

  async reserve(reservationId: string, lines: readonly CounterLine[], ttlMs: number): Promise<ReserveResult> {
    checkReservationId(reservationId);
    checkReserve(lines, ttlMs);
    if (lines.length === 0) return OK;
    const now = this.now();
    this.expireHolds(now);
    if (ttlMs > this.maxTtl) this.maxTtl = ttlMs;
    const totals = perCounter(lines);
    let local = true;
    for (const line of totals) {
      const lease = this.leaseFor(line.counter, line.windowEndsAt);
      lease.lastUsed = now;
      const free = lease.confirmed - lease.sent - lease.unsent - lease.holds;
      // Free room of zero grants nothing, not even zero: a counter spent past its limit refuses everyone.
      if (!(free > 0 && line.amount <= free && now + ttlMs <= lease.validUntil && line.limit >= lease.limit)) local = false;
    }
    if (local) {
      for (const line of totals) this.leases.get(line.counter)!.holds += line.amount;
      this.keep(reservationId, totals, now + ttlMs);
      return OK;
    }
    // Take what the lease has free now (so later requests cannot), and draw the rest from Redis.
    const claims: Claim[] = [];
    for (const line of totals) {
      const lease = this.leases.get(line.counter)!;
      const free = now + ttlMs <= lease.validUntil ? Math.max(0, lease.confirmed - lease.sent - lease.unsent - lease.holds) : 0;
      const claimed = Math.min(free, line.amount);
      lease.holds += claimed;
      const recent = Math.ceil((lease.spentSinceDraw * LEASE_RATE_MS) / Math.max(MIN_RATE_SPAN_MS, now - lease.drawnAt));
      lease.drawnAt = now;
      lease.spentSinceDraw = 0;
      claims.push({ line, claimed, want: Math.max(LEASE_REQUESTS * line.amount, lease.holds + line.amount - claimed, recent) });
    }
    return new Promise((resolve, reject) => {
      this.ordered.push({
        kind: "d",
        id: reservationId,
        lines,
        claims,
        ttlMs,
        resolve: (result) => {
          for (const { line, claimed } of claims) {
            const lease = this.leaseFor(line.counter, line.windowEndsAt);
            lease.holds -= claimed;
            if (result.ok) {
              lease.holds += line.amount;
              lease.limit = line.limit;
            }
          }
          if (result.ok) this.keep(reservationId, totals, now + ttlMs);
          resolve(result);
        },
        reject: (error) => {
          for (const { line, claimed } of claims) this.leaseFor(line.counter, line.windowEndsAt).holds -= claimed;
          reject(error);
        },
      });
      this.schedule();
    });
  }

  async settle(reservationId: string, actual: readonly Settlement[], options?: SettleOptions): Promise<void> {
    checkReservationId(reservationId);
    checkSettle(actual);
    if (actual.length === 0) return;
    const now = this.now();
    this.expireHolds(now);
    const held = this.held.get(reservationId);
    if (!held && options?.ifHeld) {
      // Not held here: a replay after a restart, which only Redis can decide (see LEASE_LUA 'p').
      return new Promise((resolve, reject) => {
        this.ordered.push({ kind: "p", id: reservationId, lines: actual, resolve, reject });
        this.schedule();
      });
    }
    if (held) this.held.delete(reservationId);
    let queued = held !== undefined;
    for (let i = 0; i < actual.length; i++) {
      const line = actual[i]!;
      // A counter named twice gives back its hold once.
      const hold = held && indexOf(actual, line.counter, i) === -1 ? amountOn(held.lines, line.counter) : 0;
      const lease = this.leases.get(line.counter);
      if (lease) lease.holds -= hold;
      // A window already past its grace no longer limits anyone.
      if (line.windowEndsAt + this.graceMs <= now) continue;
      const target = lease ?? this.leaseFor(line.counter, line.windowEndsAt);
      target.lastUsed = now;
      target.spentSinceDraw += line.amount;
      // Spend comes out of the lease: its own reservation's, and beyond that whatever is free, so
      // that spend plus leases never grows (a late or foreign settlement shrinks what is left to grant).
      const take = Math.min(line.amount, Math.max(0, target.confirmed - target.sent - target.unsent - target.holds));
      if (take === 0 && line.amount === 0) continue;
      target.unsent += take;
      const entry = this.takes.get(line.counter);
      if (entry) {
        entry.take += take;
        entry.spend += line.amount;
      } else this.takes.set(line.counter, { take, spend: line.amount });
      queued = true;
    }
    if (held) {
      // Counters it held that the settlement does not name.
      for (const { counter, amount } of held.lines) {
        if (indexOf(actual, counter, actual.length) !== -1) continue;
        const lease = this.leases.get(counter);
        if (lease) lease.holds -= amount;
      }
      this.marks.push(reservationId);
    }
    if (!queued) return;
    // Resolved once Redis has applied it: only then may the journal forget the settlement.
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  async read(counters: readonly string[]): Promise<CounterState[]> {
    if (counters.length === 0) return [];
    await this.drain();
    await this.connectedOnce();
    const flat = (await readScript.run(
      this.client,
      counters.flatMap((counter) => this.keysOf(counter)),
      this.head(),
    )) as number[];
    this.expireHolds(this.now());
    return counters.map((name, i) => {
      let spent = flat[2 * i] ?? 0;
      let reserved = flat[2 * i + 1] ?? 0;
      const lease = this.leases.get(name);
      // This instance's lease counts as what is reserved on it, not as its whole size.
      if (lease) reserved = Math.max(0, reserved - (lease.confirmed - lease.sent) + lease.holds);
      spent += this.takes.get(name)?.spend ?? 0;
      return { spent, reserved };
    });
  }

  /** The previous process's settlements have been replayed: its leases that are left are released. */
  async recovered(): Promise<void> {
    // Not urgent, and nothing else waits on it: a slow first connection is waited for, not an outage.
    if (this.client.status !== "ready") await once(this.client, "ready", { signal: AbortSignal.timeout(RECOVERY_WAIT_MS) });
    const sKey = `${this.tag}:s:`;
    const members = await this.client.smembers(this.ownersKey);
    const counters = members.filter((m) => m.startsWith(sKey)).map((m) => m.slice(sKey.length));
    if (counters.length === 0) return;
    return new Promise((resolve, reject) => {
      this.ordered.push({ kind: "z", counters, resolve, reject });
      this.schedule();
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const [counter, lease] of this.leases) this.handBack(counter, lease);
    await this.drain();
    if (!this.owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private now(): number {
    return this.clock ? this.clock() : Date.now();
  }

  /** ARGV[1..2] of every script: now (-1: the server's TIME) and the grace. */
  private head(): number[] {
    return [this.clock ? this.clock() : -1, this.graceMs];
  }

  private leaseTtl(): number {
    return this.maxTtl + this.slackMs;
  }

  private keysOf(counter: string): [string, string, string] {
    return [`${this.tag}:s:${counter}`, `${this.tag}:r:${counter}`, `${this.tag}:e:${counter}`];
  }

  private connectedOnce(): Promise<void> {
    this.connection ??= firstConnection(this.client);
    return this.connection;
  }

  /** Holds `lines` for the reservation until `expiresAt`; made again (a further call of the request), it adds to what it held. */
  private keep(reservationId: string, lines: readonly Hold[], expiresAt: number): void {
    const held = this.held.get(reservationId);
    this.held.set(reservationId, { lines: held ? sumPerCounter([...held.lines, ...lines]) : lines, expiresAt });
    if (expiresAt < this.nextExpiry) this.nextExpiry = expiresAt;
  }

  private leaseFor(counter: string, windowEndsAt: number): Lease {
    let lease = this.leases.get(counter);
    if (!lease) {
      const now = this.now();
      lease = { windowEndsAt, confirmed: 0, sent: 0, unsent: 0, holds: 0, limit: Infinity, validUntil: 0, renewedAt: 0, lastUsed: now, drawnAt: now, spentSinceDraw: 0 };
      this.leases.set(counter, lease);
    }
    return lease;
  }

  private handBack(counter: string, lease: Lease): void {
    const amount = lease.confirmed - lease.sent - lease.unsent;
    if (amount <= 0) return;
    lease.unsent += amount;
    this.returns.set(counter, (this.returns.get(counter) ?? 0) + amount);
  }

  /**
   * Near the limit, what this lease has free goes back beyond a share of what would remain: room
   * idle here is room another instance's request is refused for. (Settlements leave their unused
   * worst case in the lease; `used` is the counter's spent + reserved as the last script saw it.)
   */
  private trim(counter: string, lease: Lease, used: number): void {
    if (lease.limit === Infinity) return;
    const free = lease.confirmed - lease.sent - lease.unsent - lease.holds;
    if (free <= 0) return;
    const keep = Math.floor(this.share * Math.max(0, lease.limit - used + free));
    if (free <= keep) return;
    lease.unsent += free - keep;
    this.returns.set(counter, (this.returns.get(counter) ?? 0) + free - keep);
  }

  /** Reservations past their TTL (their request never settled) stop holding room in the lease. */
  private expireHolds(now: number): void {
    if (now < this.nextExpiry) return;
    this.nextExpiry = Infinity;
    for (const [id, held] of this.held) {
      if (held.expiresAt > now) {
        this.nextExpiry = Math.min(this.nextExpiry, held.expiresAt);
        continue;
      }
      for (const { counter, amount } of held.lines) {
        const lease = this.leases.get(counter);
        if (lease) lease.holds -= amount;
      }
      this.held.delete(id);
    }
  }

  /** Idle leases go back, busy ones are renewed, leases of ended windows are forgotten. */
  private tick(): void {
    const now = this.now();
    this.expireHolds(now);
    const renewEvery = this.slackMs / 6;
    for (const [counter, lease] of this.leases) {
      const size = lease.confirmed - lease.sent - lease.unsent;
      if (lease.windowEndsAt + this.graceMs <= now) {
        if (lease.holds <= 0) this.leases.delete(counter);
      } else if (lease.holds <= 0 && now - lease.lastUsed >= this.idleMs) {
        if (size > 0) this.handBack(counter, lease);
        else if (lease.confirmed === 0 && lease.sent === 0 && lease.unsent === 0 && !this.takes.has(counter)) this.leases.delete(counter);
      } else if (size > 0 && now - lease.renewedAt >= renewEvery) this.renew.add(counter);
    }
    this.flush();
  }

  private hasWork(): boolean {
    return this.ordered.length > 0 || this.takes.size > 0 || this.returns.size > 0 || this.marks.length > 0 || this.renew.size > 0;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // setImmediate runs after this turn's I/O callbacks: everything they call goes in one script.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Sends the next script unless one is in flight (its answer sends what queued meanwhile). */
  private flush(): void {
    if (this.inFlight || !this.hasWork()) return;
    this.inFlight = this.send().finally(() => {
      this.inFlight = undefined;
      this.flush();
    });
  }

  /** Until nothing is queued or in flight: what was called before reaches Redis first. */
  private async drain(): Promise<void> {
    while (this.inFlight || this.hasWork()) {
      this.flush();
      await this.inFlight;
    }
  }

  /** Runs one script for what is queued and answers each caller; never rejects (the callers do). */
  private async send(): Promise<void> {
    const ordered = this.ordered.splice(0, MAX_BATCH);
    const { takes, returns, marks, waiters, renew } = this;
    this.takes = new Map();
    this.returns = new Map();
    this.marks = [];
    this.waiters = [];
    this.renew = new Set();

    const positions = new Map<string, number>();
    const keys = [this.marksKey, this.ownersKey];
    const ends: number[] = [];
    const position = (counter: string, windowEndsAt: number | undefined) => {
      let at = positions.get(counter);
      if (at === undefined) {
        at = positions.size + 1;
        positions.set(counter, at);
        keys.push(...this.keysOf(counter));
        // -2: not known here, read from the counter itself.
        ends.push(windowEndsAt === undefined ? -2 : windowEndsAt === Infinity ? -1 : windowEndsAt);
      }
      return at;
    };
    const endOf = (counter: string) => this.leases.get(counter)?.windowEndsAt;
    const ops: (string | number)[] = [];
    if (returns.size > 0) {
      ops.push("x", returns.size);
      for (const [counter, amount] of returns) ops.push(position(counter, endOf(counter)), amount);
    }
    if (takes.size > 0) {
      ops.push("t", takes.size);
      for (const [counter, { take, spend }] of takes) ops.push(position(counter, endOf(counter)), take, spend);
    }
    if (marks.length > 0) ops.push("m", marks.length, ...marks);
    for (const op of ordered) {
      if (op.kind === "d") {
        ops.push("d", op.lines.length, op.claims.length);
        for (const line of op.lines) ops.push(position(line.counter, line.windowEndsAt), line.limit, line.amount);
        for (const { line, claimed, want } of op.claims) ops.push(position(line.counter, endOf(line.counter)), claimed, want);
      } else if (op.kind === "p") {
        ops.push("p", op.id, op.lines.length);
        for (const line of op.lines) ops.push(position(line.counter, line.windowEndsAt), line.amount);
      } else {
        ops.push("z", op.counters.length);
        for (const counter of op.counters) ops.push(position(counter, endOf(counter)));
      }
    }
    for (const counter of renew) if (this.leases.has(counter)) position(counter, endOf(counter));
    for (const counter of positions.keys()) {
      const lease = this.leases.get(counter);
      if (lease) {
        lease.sent += lease.unsent;
        lease.unsent = 0;
      }
    }

    const sentAt = this.now();
    const ttl = this.leaseTtl();
    let replies: number[];
    try {
      await this.connectedOnce();
      replies = (await leaseScript.run(this.client, keys, [...this.head(), this.leaseId, this.ownerPrefix, ttl, this.share, MAX_MARKS, ...ends, ...ops])) as number[];
    } catch (error) {
      for (const counter of positions.keys()) {
        const lease = this.leases.get(counter);
        if (!lease) continue;
        // Unknown whether it was applied: assume the smaller lease, and grant nothing locally until Redis answers again.
        lease.confirmed = Math.max(0, lease.confirmed - lease.sent);
        lease.sent = 0;
        lease.validUntil = 0;
      }
      for (const op of ordered) op.reject(error);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    let draws = 0;
    for (const op of ordered) if (op.kind === "d") draws++;
    const base = 2 * draws;
    for (const [counter, at] of positions) {
      const lease = this.leases.get(counter);
      if (!lease) continue;
      lease.confirmed = replies[base + 2 * at - 2] ?? 0;
      lease.sent = 0;
      if (lease.confirmed > 0) {
        lease.validUntil = sentAt + ttl - this.slackMs / 4;
        lease.renewedAt = sentAt;
      }
    }
    let next = 0;
    for (const op of ordered) {
      if (op.kind !== "d") {
        op.resolve();
        continue;
      }
      const failed = replies[next++]!;
      const remaining = replies[next++]!;
      const line = op.lines[failed];
      op.resolve(line ? { ok: false, line: failed, remaining, resetsAt: line.windowEndsAt } : OK);
    }
    // After the draws took their holds: only what is really free may go back.
    for (const [counter, at] of positions) {
      const lease = this.leases.get(counter);
      if (lease) this.trim(counter, lease, replies[base + 2 * at - 1] ?? 0);
    }
    for (const waiter of waiters) waiter.resolve();
  }
}

/**
 * One line per counter, its amount the sum of the lines naming it (the first stands for it).
 * Requests name each counter once: they get their own lines back, with nothing allocated.
 */
function perCounter(lines: readonly CounterLine[]): readonly CounterLine[] {
  for (let i = 1; i < lines.length; i++) if (indexOf(lines, lines[i]!.counter, i) !== -1) return sumPerCounter(lines);
  return lines;
}

function sumPerCounter<T extends Hold>(lines: readonly T[]): T[] {
  const sums = new Map<string, T>();
  for (const line of lines) {
    const first = sums.get(line.counter);
    sums.set(line.counter, first ? { ...first, amount: first.amount + line.amount } : line);
  }
  return [...sums.values()];
}

/** Where `counter` is among `lines[0..end)`, or -1 (a linear scan: a request has a handful of lines). */
function indexOf(lines: readonly Hold[], counter: string, end: number): number {
  for (let i = 0; i < end; i++) if (lines[i]!.counter === counter) return i;
  return -1;
}

function amountOn(lines: readonly Hold[], counter: string): number {
  const at = indexOf(lines, counter, lines.length);
  return at === -1 ? 0 : lines[at]!.amount;
}
