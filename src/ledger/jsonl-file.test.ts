import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonlFile } from "./jsonl-file.js";

describe("JsonlFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tollgate-jsonl-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("appends values as lines, creating the directory", async () => {
    const file = new JsonlFile<{ n: number }>(join(dir, "sub", "f.jsonl"));
    await file.append([{ n: 1 }, { n: 2 }]);
    await file.append([{ n: 3 }]);
    expect(await readFile(file.path, "utf8")).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });
});
