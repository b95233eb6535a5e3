import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal, type JournalBegin } from "./journal.js";
import { makeRecord } from "./test-support/records.js";

const begin = (n: number): JournalBegin => ({ id: makeRecord(n).id, startedAt: 1_000 + n, api: "openai-chat", stream: true, route: "chat", provider: "openai", model: "gpt-4o-mini", inputTokens: 12 });
const segments = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("journal-"));

describe("Journal", () => {
  let dir: string;
  const open: Journal[] = [];
  const journal = (options: ConstructorParameters<typeof Journal>[1] = {}) => {
    const j = new Journal(dir, { tickMs: 60_000, ...options });
    open.push(j);
    return j;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-journal-"));
  });
  afterEach(() => {
    for (const j of open.splice(0)) j.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps ended records until they are committed, then deletes what no longer matters", () => {
    const j = journal({ segmentBytes: 200 });
    for (let n = 1; n <= 5; n++) j.end(makeRecord(n));
    expect(segments(dir).length).toBeGreaterThan(1);
    j.committed([1, 2, 3, 4, 5].map((n) => makeRecord(n).id));
    // Only the segment being written is left.
    expect(segments(dir)).toHaveLength(1);
    j.close();
    expect(segments(dir)).toHaveLength(0);
    expect(existsSync(join(dir, "journal.lock"))).toBe(false);
  });

  it("keeps each line's own segment when a write fills it: a crash after rotations loses nothing", () => {
    // Every line fills a segment, so each append starts a new one.
    const j = journal({ segmentBytes: 1 });
    j.begin(begin(1), () => 0);
    j.end(makeRecord(2));
    j.begin(begin(3), () => 0);
    j.end(makeRecord(4));
    j.close();
    const again = journal();
    expect(again.recovered.map((r) => r.id)).toEqual([begin(1).id, begin(3).id]);
    expect([...again.spooledBatches(10)]).toEqual([[makeRecord(2), makeRecord(4)]]);
  });

  it("writes who is billed, not the caller's limits and allow-lists, and finds the rest again after a crash", () => {
    const identity = { keyId: "key_1", userId: "bob", teamId: "red", endUser: "eve", tags: { env: "prod" } };
    const checked = { allowedModels: ["chat"], allowedOrigins: ["https://a.example"], limits: { rpm: 5 }, userLimits: { tpm: 9 }, teamLimits: { rpm: 7 } };
    const j = journal();
    j.begin({ ...begin(1), identity: { ...identity, ...checked } }, () => 0);
    j.begin({ ...begin(2), identity: { ...identity, ...checked } }, () => 0);
    j.end(makeRecord(2, { identity: { ...identity, ...checked } }));
    // As the gateway calls it: one identity object from begin to end.
    const same = { ...identity, ...checked };
    j.begin({ ...begin(3), identity: same }, () => 0);
    j.end(makeRecord(3, { identity: same }));
    // A record ending with another identity than it began with bills the one it ends with.
    const other = { ...identity, tags: { env: "dev" } };
    j.begin({ ...begin(4), identity: same }, () => 0);
    j.end(makeRecord(4, { identity: { ...other, ...checked } }));
    // Closed with a request open and records not in the database: all stay for the next start.
    j.close();
    const again = journal();
    expect(again.recovered).toEqual([{ ...begin(1), identity, outputTokens: 0, lastSeenAt: begin(1).startedAt }]);
    expect([...again.spooledBatches(10)]).toEqual([[makeRecord(2, { identity }), makeRecord(3, { identity }), makeRecord(4, { identity: other })]]);
  });

  it("writes lines exactly, whatever their characters and length, hints before them", () => {
    const j = journal();
    // Multi-byte text and a surrogate pair; then a line longer than the write buffer (64 KB).
    const wide = makeRecord(1, { identity: { keyId: "key_1", tags: { team: "équipe-日本-😀" } } });
    const long = makeRecord(2, { identity: { keyId: "key_2", tags: { note: "ü".repeat(40_000) } } });
    j.end(makeRecord(3));
    j.committed([makeRecord(3).id]);
    j.end(wide);
    j.end(makeRecord(4));
    j.committed([makeRecord(4).id]);
    j.end(long);
    j.spool([wide.id, long.id]);
    expect([...j.spooledBatches(10)]).toEqual([[wide, long]]);
    j.close();
    // Each commit hint rode with the next line: a restart replays only what the database may lack.
    const errors: unknown[] = [];
    const again = journal({ onError: (err) => errors.push(err) });
    expect([...again.spooledBatches(10)]).toEqual([[wide, long]]);
    expect(errors).toEqual([]);
  });

  it("ends a request once: a second end of the same id writes nothing", () => {
    const j = journal();
    j.end(makeRecord(1));
    j.end(makeRecord(1, { status: 500 }));
    j.spool([makeRecord(1).id]);
    expect([...j.spooledBatches(10)].flat()).toEqual([makeRecord(1)]);
  });

  it("refuses a directory another gateway of this process holds", () => {
    journal();
    expect(() => new Journal(dir)).toThrow(/already in use/);
  });

  it("refuses a directory a live process holds, and takes over one a dead process left", () => {
    writeFileSync(join(dir, "journal.lock"), String(process.ppid));
    expect(() => new Journal(dir)).toThrow(/in use by process/);
    writeFileSync(join(dir, "journal.lock"), "999999999");
    expect(() => journal()).not.toThrow();
  });
});

describe("Journal after a crash", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-journal-crash-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What a killed process leaves: segment files written line by line, and a lock naming a dead pid. */
  const leave = (lines: unknown[], torn = "") => {
    writeFileSync(join(dir, "journal-00000001.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join("") + torn);
    writeFileSync(join(dir, "journal.lock"), "999999999");
  };

  it("finds ended records (spooled, in order) and requests that never ended, with their last relayed output", () => {
    leave(
      [{ b: begin(1) }, { b: begin(2) }, { e: makeRecord(1) }, { b: begin(3) }, { p: { [begin(2).id]: 7, [begin(3).id]: 2 }, at: 5_000 }, { p: { [begin(2).id]: 9 }, at: 6_000 }, { e: makeRecord(4) }],
      '{"e":{"id":"req_torn"',
    );
    const errors: unknown[] = [];
    const j = new Journal(dir, { tickMs: 60_000, onError: (err) => errors.push(err) });
    try {
      expect(j.recovered).toEqual([
        { ...begin(2), outputTokens: 9, lastSeenAt: 6_000 },
        { ...begin(3), outputTokens: 2, lastSeenAt: 5_000 },
      ]);
      expect(j.spooled).toBe(2);
      expect([...j.spooledBatches(1)]).toEqual([[makeRecord(1)], [makeRecord(4)]]);
      // The torn line of the write the kill cut short is skipped and reported.
      expect(errors).toHaveLength(1);
      // Billing the open ones and committing everything lets the old segment go.
      j.end(makeRecord(2, { outcome: "interrupted" }));
      j.end(makeRecord(3, { outcome: "interrupted" }));
      j.committed([1, 2, 3, 4].map((n) => makeRecord(n).id));
      expect(existsSync(join(dir, "journal-00000001.jsonl"))).toBe(false);
    } finally {
      j.close();
    }
  });

  it("finds requests that reserved budget and never settled it, ended or not", () => {
    const budget = [{ counter: "usd:day:user:alice:x", windowEndsAt: null, unit: "usd" as const }];
    leave([{ b: { ...begin(1), budget } }, { b: { ...begin(2), budget } }, { b: { ...begin(3), budget } }, { e: makeRecord(1) }, { e: makeRecord(2) }, { s: begin(2).id }]);
    const j = new Journal(dir, { tickMs: 60_000 });
    try {
      expect(j.unsettledRecovered).toEqual([{ budget, record: makeRecord(1) }]);
      expect(j.recovered.map((r) => r.id)).toEqual([begin(3).id]);
      j.end(makeRecord(3, { outcome: "interrupted" }));
      j.committed([1, 2, 3].map((n) => makeRecord(n).id));
      // Begins wait for their settlement: the old segment stays until both are settled.
      expect(existsSync(join(dir, "journal-00000001.jsonl"))).toBe(true);
      j.settled(begin(1).id);
      j.settled(begin(3).id);
      expect(existsSync(join(dir, "journal-00000001.jsonl"))).toBe(false);
    } finally {
      j.close();
    }
  });

  it("replays the outage spool of earlier versions", () => {
    appendFileSync(join(dir, "ledger-spool.jsonl"), `${JSON.stringify(makeRecord(1))}\n${JSON.stringify(makeRecord(2))}\n`);
    const j = new Journal(dir, { tickMs: 60_000 });
    try {
      expect([...j.spooledBatches(10)]).toEqual([[makeRecord(1), makeRecord(2)]]);
      j.committed([makeRecord(1).id, makeRecord(2).id]);
      expect(existsSync(join(dir, "ledger-spool.jsonl"))).toBe(false);
    } finally {
      j.close();
    }
  });

  it("writes down the output relayed so far of a request in flight, found again at the next start", () => {
    let relayed = 0;
    const first = new Journal(dir, { tickMs: 60_000 });
    first.begin(begin(1), () => relayed);
    relayed = 3;
    // close() writes the last progress, as a tick would; the request never ended.
    first.close();
    const second = new Journal(dir, { tickMs: 60_000 });
    try {
      expect(second.recovered).toMatchObject([{ id: begin(1).id, inputTokens: 12, outputTokens: 3 }]);
    } finally {
      second.close();
    }
  });
});
