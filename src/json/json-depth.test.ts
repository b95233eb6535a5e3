import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { InvalidRequestError } from "../errors/gateway-error.js";
import { checkJsonDepth, tooDeepAt } from "./json-depth.js";

const nest = (depth: number): unknown => {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

describe("checkJsonDepth", () => {
  test("accepts up to the limit and refuses one level more, naming the field", () => {
    expect(() => checkJsonDepth({ metadata: nest(63) }, 64)).not.toThrow();
    try {
      checkJsonDepth({ metadata: nest(64) }, 64);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect(err).toMatchObject({ status: 400, code: "json_too_deep", param: "metadata.a.a.a" });
    }
  });

  test("a value 100,000 levels deep is refused without overflowing the stack", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => checkJsonDepth({ tools: [{ parameters: deep }] })).toThrow(/tools\[0\]\.parameters/);
  });

  test("tooDeepAt tells where, without throwing", () => {
    expect(tooDeepAt({ choices: [{ message: nest(70) }] }, 64)?.slice(0, 3)).toEqual(["choices", 0, "message"]);
    expect(tooDeepAt({ choices: [] }, 64)).toBeUndefined();
  });

  test("wide values are fine", () => {
    expect(() => checkJsonDepth({ input: Array.from({ length: 100_000 }, (_, i) => ({ i })) })).not.toThrow();
  });

  test("a limit above the recursion bound is refused", () => {
    expect(() => tooDeepAt({}, 1001)).toThrow(RangeError);
  });

  test("finds exactly what the earlier iterative walk found, at any limit", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, maxDepth) => {
        expect(tooDeepAt(value, maxDepth) !== undefined).toBe(value !== null && typeof value === "object" && iterativeDeeperThan(value, maxDepth));
      }),
    );
  });
});

/** The walk this module used before (an explicit stack, Object.keys): the reference for the recursive one. */
function iterativeDeeperThan(root: object, maxDepth: number): boolean {
  const values: object[] = [root];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (depth >= maxDepth) return true;
    const children: unknown[] = Array.isArray(value) ? value : Object.keys(value).map((key) => (value as Record<string, unknown>)[key]);
    for (const child of children) {
      if (child !== null && typeof child === "object") {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
