type Json = Record<string, unknown>;

/** One piece of a streamed function call's arguments (Vertex `streamFunctionCallArguments`). */
export interface PartialArg {
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: unknown;
}

/** `$.a.b[0].c` as keys: ["a", "b", 0, "c"]; undefined for a path this reader does not know. */
function pathKeys(jsonPath: string): (string | number)[] | undefined {
  if (!jsonPath.startsWith("$")) return undefined;
  const keys: (string | number)[] = [];
  const step = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]/gy;
  step.lastIndex = 1;
  while (step.lastIndex < jsonPath.length) {
    const match = step.exec(jsonPath);
    if (!match) return undefined;
    keys.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3])!);
  }
  return keys;
}

/**
 * The arguments of a function call Gemini streams in pieces: a start with the name, then
 * parts whose `partialArgs` set a value at a JSON path (a string arrives in several pieces,
 * appended in order), until a part without `willContinue`. Assembled here and sent on whole,
 * as Gemini sends every other call, and as Google's SDK hands it to its caller.
 */
export class StreamedCall {
  readonly args: Json = {};

  constructor(readonly name: string) {}

  apply(pieces: readonly PartialArg[]): void {
    for (const piece of pieces) {
      const keys = piece.jsonPath === undefined ? undefined : pathKeys(piece.jsonPath);
      if (!keys || keys.length === 0) continue;
      let node: Json | unknown[] = this.args;
      for (let i = 0; i < keys.length - 1; i++) {
        const key = keys[i]!;
        const container = node as Record<string | number, unknown>;
        if (container[key] === undefined || container[key] === null || typeof container[key] !== "object") container[key] = typeof keys[i + 1] === "number" ? [] : {};
        node = container[key] as Json | unknown[];
      }
      const last = keys.at(-1)!;
      const container = node as Record<string | number, unknown>;
      if (piece.stringValue !== undefined) container[last] = (typeof container[last] === "string" ? container[last] : "") + piece.stringValue;
      else if (piece.numberValue !== undefined) container[last] = piece.numberValue;
      else if (piece.boolValue !== undefined) container[last] = piece.boolValue;
      else if ("nullValue" in piece) container[last] = null;
    }
  }
}
