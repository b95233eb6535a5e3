import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openStore } from "../store/open-store.js";
import type { Sql } from "../store/sql.js";
import { TcpProxy } from "../../test/support/tcp-proxy.js";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../store/test-support/test-database.js";
import { LedgerWriter } from "./ledger-writer.js";
import { journalBacklog, journalSegments } from "./test-support/journal-files.js";
import { makeRecord } from "./test-support/records.js";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ids = (ns: number[]) => ns.map((n) => makeRecord(n).id);

describe("LedgerWriter through a Postgres outage", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let direct: Sql;
  let viaProxy: Sql;
  let spoolDir: string;
  const writers: LedgerWriter[] = [];
  const newWriter = () => {
    const writer = new LedgerWriter(viaProxy, { batchSize: 5, flushIntervalMs: 5, retryMinMs: 10, retryMaxMs: 50, spoolDir, onError: () => undefined });
    writers.push(writer);
    return writer;
  };
  const stored = async () => (await direct.query<{ id: string }>("SELECT id FROM tollgate_ledger_requests ORDER BY seq, id")).map((r) => r.id);

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    spoolDir = join(db.dir, "spool");
    direct = await openStore(db.url);
    proxy = await TcpProxy.start({ host: "127.0.0.1", port: Number(new URL(POSTGRES_URL).port || 5432) });
    viaProxy = await openStore(db.urlThroughPort(proxy.port));
  });
  afterEach(async () => {
    proxy.restore();
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await viaProxy.close();
    await proxy.close();
    await direct.close();
    await db.dispose();
  });

  it("stores every record exactly once, in the order written, across a cut and a restore", async () => {
    const writer = newWriter();
    const writeAll = (ns: number[]) => {
      for (const n of ns) writer.write(makeRecord(n));
    };

    writeAll(range(1, 20));
    await writer.flush();
    expect(await stored()).toEqual(ids(range(1, 20)));

    // Cut while a batch is on its way: its commit may or may not have happened.
    writeAll(range(21, 30));
    const inFlight = writer.flush();
    proxy.cut();
    await inFlight;
    writeAll(range(31, 45));
    await writer.flush();
    expect(writer.spooled).toBeGreaterThanOrEqual(15);
    expect(writer.pending).toBe(0);

    proxy.restore();
    writeAll(range(46, 60));
    await vi.waitFor(
      async () => {
        expect(writer.spooled).toBe(0);
        expect(writer.pending).toBe(0);
        expect(await stored()).toEqual(ids(range(1, 60)));
      },
      { timeout: 30_000, interval: 10 },
    );
    expect(await direct.query("SELECT COUNT(*) AS n FROM tollgate_ledger_attempts")).toEqual([{ n: 60 }]);
    await writer.close();
    expect(journalSegments(spoolDir)).toEqual([]);
    expect(await direct.query("SELECT COUNT(*) AS n FROM tollgate_ledger_tags")).toEqual([{ n: 60 }]);
  });

  it("keeps the records in the journal when closed during the outage; the next writer replays them", async () => {
    const first = newWriter();
    for (const n of range(1, 5)) first.write(makeRecord(n));
    await first.flush();
    proxy.cut();
    for (const n of range(6, 12)) first.write(makeRecord(n));
    await first.close();
    expect(first.pending).toBe(0);
    expect(journalBacklog(spoolDir)).toBe(7);
    expect(await stored()).toEqual(ids(range(1, 5)));

    proxy.restore();
    const second = newWriter();
    second.write(makeRecord(13));
    await vi.waitFor(
      async () => {
        expect(second.spooled).toBe(0);
        expect(await stored()).toEqual(ids(range(1, 13)));
      },
      { timeout: 30_000, interval: 10 },
    );
    await second.close();
    expect(journalSegments(spoolDir)).toEqual([]);
  });
});
