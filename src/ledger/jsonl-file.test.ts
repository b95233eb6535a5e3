import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonlFile } from "./jsonl-file.js";

async function collect<T>(file: JsonlFile<T>, size: number, onBad: (err: Error) => void = () => undefined): Promise<T[][]> {
  const batches: T[][] = [];
  for await (const batch of file.batches(size, onBad)) batches.push(batch);
  return batches;
}

describe("JsonlFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tollgate-jsonl-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("appends values as lines (creating the directory) and reads them back in batches, in order", async () => {
    const file = new JsonlFile<{ n: number }>(join(dir, "sub", "f.jsonl"));
    await file.append([{ n: 1 }, { n: 2 }]);
    await file.append([{ n: 3 }]);
    expect(await readFile(file.path, "utf8")).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    expect(await collect(file, 2)).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }]]);
    expect(file.recover(() => undefined)).toBe(3);
    await file.clear();
    expect(await collect(file, 2)).toEqual([]);
  });

  it("reads nothing from a file that does not exist", async () => {
    const file = new JsonlFile(join(dir, "missing.jsonl"));
    expect(file.recover(() => undefined)).toBe(0);
    expect(await collect(file, 10)).toEqual([]);
  });

  it("cuts a torn last line at startup so the next append starts cleanly", async () => {
    const file = new JsonlFile<{ n: number }>(join(dir, "f.jsonl"));
    await writeFile(file.path, '{"n":1}\n{"n":2}\n{"n":3,"tr');
    const torn: Error[] = [];
    expect(file.recover((err) => torn.push(err))).toBe(2);
    expect(torn).toHaveLength(1);
    await file.append([{ n: 4 }]);
    expect(await collect(file, 10)).toEqual([[{ n: 1 }, { n: 2 }, { n: 4 }]]);
  });

  it("skips and reports a line that is not JSON", async () => {
    const file = new JsonlFile<{ n: number }>(join(dir, "f.jsonl"));
    await appendFile(file.path, '{"n":1}\nnot json\n\n{"n":2}\n');
    const bad: Error[] = [];
    expect(await collect(file, 10, (err) => bad.push(err))).toEqual([[{ n: 1 }, { n: 2 }]]);
    expect(bad).toHaveLength(1);
  });
});
