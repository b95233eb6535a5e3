import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { SqliteVecIndex } from "./sqlite-vec-index.js";

/** A unit vector at `degrees` from [1, 0, 0] in the x-y plane: cos(angle) is its similarity to it. */
const at = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180), 0];

test("finds the nearest vector of a partition at or above the threshold, never another partition's", async () => {
  const index = new SqliteVecIndex();
  await index.add("tenant-a", at(10), "a-10", 1_000);
  await index.add("tenant-a", at(40), "a-40", 1_000);
  await index.add("tenant-b", at(1), "b-1", 1_000);
  const match = await index.nearest("tenant-a", at(0), 0.9, 0);
  expect(match?.ref).toBe("a-10");
  expect(match?.similarity).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 5);
  // cos 10° ≈ 0.985: under a stricter threshold nothing matches, though tenant-b holds a closer vector.
  expect(await index.nearest("tenant-a", at(0), 0.99, 0)).toBeUndefined();
  expect(await index.nearest("tenant-c", at(0), 0.5, 0)).toBeUndefined();
  await index.close();
});

test("an expired vector is never found, and purge deletes it", async () => {
  const index = new SqliteVecIndex();
  await index.add("p", at(0), "old", 100);
  await index.add("p", at(30), "fresh", 1_000);
  expect((await index.nearest("p", at(0), 0.5, 99))?.ref).toBe("old");
  expect((await index.nearest("p", at(0), 0.5, 100))?.ref).toBe("fresh");
  await index.purge(100);
  expect((await index.nearest("p", at(0), 0.5, 0))?.ref).toBe("fresh");
  await index.close();
});

test("keeps vectors of different lengths apart, and reopens a file with its vectors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-vec-"));
  try {
    const path = join(dir, "nested", "vectors.db");
    const first = new SqliteVecIndex(path);
    await first.add("p", [1, 0], "two", 1_000);
    await first.add("p", [0, 0, 1, 0], "four", 1_000);
    await first.close();
    const reopened = new SqliteVecIndex(path);
    expect((await reopened.nearest("p", [1, 0.01], 0.9, 0))?.ref).toBe("two");
    expect((await reopened.nearest("p", [0, 0, 1, 0.01], 0.9, 0))?.ref).toBe("four");
    expect(await reopened.nearest("p", [1, 0, 0], 0.1, 0)).toBeUndefined();
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
