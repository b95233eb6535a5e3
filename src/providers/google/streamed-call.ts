import { UpstreamProtocolError } from "../../errors/upstream-errors.js";

type Json = Record<string, unknown>;

/** One `partialArgs` entry: a value at a JSON path, a string possibly continued by the next entry at that path. */
interface PartialArg {
  jsonPath?: unknown;
  stringValue?: unknown;
  numberValue?: unknown;
  boolValue?: unknown;
  nullValue?: unknown;
  willContinue?: unknown;
}

/** `$.recipe.ingredients[0].amount`, `$['a b'][2]` as keys and indices. */
function pathSteps(path: string): Array<string | number> {
  if (!path.startsWith("$")) throw new UpstreamProtocolError(`Upstream sent a function-call argument path that is not a JSON path: ${path.slice(0, 80)}`);
  const steps: Array<string | number> = [];
  const step = /\.([^.[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/gy;
  step.lastIndex = 1;
  while (step.lastIndex < path.length) {
    const m = step.exec(path);
    if (!m) throw new UpstreamProtocolError(`Upstream sent a function-call argument path that cannot be read: ${path.slice(0, 80)}`);
    steps.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? m[4])!);
  }
  return steps;
}

function partialValue(arg: PartialArg): unknown {
  if (typeof arg.stringValue === "string") return arg.stringValue;
  if (typeof arg.numberValue === "number") return arg.numberValue;
  if (typeof arg.boolValue === "boolean") return arg.boolValue;
  return null;
}

/**
 * A function call Gemini 3 streams in pieces (`streamFunctionCallArguments`): the first
 * part names it (`willContinue: true`, with its thought signature), later parts carry
 * `partialArgs` (each a value at a JSON path; a string may arrive in several entries at
 * one path, each but the last with `willContinue`), and the part without `willContinue`
 * ends it. Assembled here into the one call a client sees.
 */
export class StreamedCall {
  private readonly args: Json;
  /** The path of the string still being continued, if any. */
  private continuing: string | undefined;

  constructor(
    readonly name: string,
    readonly thoughtSignature: string | undefined,
    initialArgs: unknown,
  ) {
    this.args = initialArgs !== null && typeof initialArgs === "object" && !Array.isArray(initialArgs) ? { ...(initialArgs as Json) } : {};
  }

  add(partialArgs: unknown): void {
    if (!Array.isArray(partialArgs)) return;
    for (const entry of partialArgs as PartialArg[]) {
      if (entry === null || typeof entry !== "object" || typeof entry.jsonPath !== "string") continue;
      const value = partialValue(entry);
      const append = this.continuing === entry.jsonPath && typeof value === "string";
      this.set(pathSteps(entry.jsonPath), value, append);
      this.continuing = entry.willContinue === true && typeof value === "string" ? entry.jsonPath : undefined;
    }
  }

  /** The whole arguments, as JSON text. */
  arguments(): string {
    return JSON.stringify(this.args);
  }

  private set(steps: Array<string | number>, value: unknown, append: boolean): void {
    if (steps.length === 0) return;
    let node: Json | unknown[] = this.args;
    steps.forEach((key, i) => {
      const container = node as Record<string | number, unknown>;
      if (i === steps.length - 1) {
        container[key] = append ? `${String(container[key] ?? "")}${value as string}` : value;
        return;
      }
      const next = container[key];
      if (next === null || typeof next !== "object") container[key] = typeof steps[i + 1] === "number" ? [] : {};
      node = container[key] as Json | unknown[];
    });
  }
}
