import { InvalidRequestError } from "../errors/gateway-error.js";
import { fieldPath } from "../errors/field-path.js";

/** Nesting deeper than this is refused: no API's real input comes near it, and every recursive walk (serialising, schema compilation) stays far from the stack's end. */
export const MAX_JSON_DEPTH = 64;
/** The most `maxDepth` may be: the check recurses that deep, far from the stack's end. */
const MAX_CHECKED_DEPTH = 1000;
/** The path named in the error stops here: the field is what matters, not a thousand levels of it. */
const NAMED_SEGMENTS = 4;

/**
 * Refuses (400 `json_too_deep`, naming the field) a parsed JSON value nested deeper than
 * `maxDepth`. Iterative, so the check itself cannot overflow the stack however deep the
 * value is; JSON.parse is iterative too, so the value exists, but most code that walks it
 * would not survive it.
 */
export function checkJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const path = tooDeepAt(value, maxDepth);
  if (path === undefined) return;
  const named = fieldPath(path.slice(0, NAMED_SEGMENTS));
  throw new InvalidRequestError("json_too_deep", `${named || "The body"} is nested more than ${maxDepth} levels deep.`, { param: named || null });
}

/** The path of the first place `value` is nested deeper than `maxDepth`; undefined when it is not. */
export function tooDeepAt(value: unknown, maxDepth = MAX_JSON_DEPTH): PropertyKey[] | undefined {
  // The walk below recurses up to maxDepth frames: a limit this far above any real one is a bug.
  if (maxDepth > MAX_CHECKED_DEPTH) throw new RangeError(`maxDepth ${maxDepth} is above ${MAX_CHECKED_DEPTH}`);
  if (value === null || typeof value !== "object") return undefined;
  // Every request body and answer passes; almost none is too deep, so the path is looked for only then.
  return deeperThan(value, maxDepth) ? pathTooDeep(value, maxDepth) : undefined;
}

/**
 * Whether anything in `value` is nested `maxDepth` levels deep. Recursive, but never more than
 * `maxDepth` frames deep whatever the value's depth: it stops there. Nothing is allocated per
 * node (for-in walks a JSON object's cached keys; Object.keys would copy them): it runs on every
 * request body and every answer.
 */
function deeperThan(value: object, maxDepth: number, depth = 0): boolean {
  if (depth >= maxDepth) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (child !== null && typeof child === "object" && deeperThan(child, maxDepth, depth + 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const child: unknown = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === "object" && deeperThan(child, maxDepth, depth + 1)) return true;
  }
  return false;
}

function pathTooDeep(value: object, maxDepth: number): PropertyKey[] | undefined {
  // Each node links to its parent instead of copying its path: memory stays linear in the value.
  type Node = { value: object; depth: number; key?: PropertyKey; parent?: Node };
  const stack: Node[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.depth >= maxDepth) {
      const path: PropertyKey[] = [];
      for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
      return path;
    }
    const entries: [PropertyKey, unknown][] = Array.isArray(node.value) ? node.value.map((v, i) => [i, v]) : Object.entries(node.value);
    for (const [key, child] of entries) if (child !== null && typeof child === "object") stack.push({ value: child, depth: node.depth + 1, key, parent: node });
  }
  return undefined;
}
