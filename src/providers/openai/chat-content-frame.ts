import { isJsonDataFrame } from "../../sse/data-frame.js";

/**
 * Where a key stands that rules its frame out, all found in one search over the read: `"error"`;
 * `"usage"` or `"finish_reason"` unless what follows is `:` and `null` (spaces or tabs around the
 * colon). Each key is looked for by its tail, whose first letter should be rare in chunks (the
 * engine skips ahead to it, and `"` is everywhere in JSON), the rest of it behind the tail. No
 * tail can begin inside another (none begins with a letter of another's that it could continue
 * from), so the one search finds every one. A key is looked for with its quotes, which a string
 * value cannot hold unescaped, so text never matches.
 */
const RULES_OUT = /(?<="e)rror"|(?<=")usage"(?![ \t]*:[ \t]*null)|(?<="finish)_reason"(?![ \t]*:[ \t]*null)/g;

/** The length of the tail that ends just before `after`, by its last letter. */
const tailBefore = (text: string, after: number) => {
  const last = text.charCodeAt(after - 2);
  return last === 114 /* r */ ? 'rror"'.length : last === 101 /* e */ ? 'usage"'.length : '_reason"'.length;
};

/**
 * Which frames of a Chat Completions stream read certainly carry content only: one `data:` line
 * of a JSON object with no `"error"` key, and every `"usage"` and `"finish_reason"` null. A value
 * that happens to read "usage" or "error" only costs a parse.
 */
export function chatContentFrames(text: string, ends: readonly number[]): boolean[] {
  const content = ends.map((end, i) => isJsonDataFrame(text, i === 0 ? 0 : ends[i - 1]!, end, "data: {"));
  let frame = 0;
  RULES_OUT.lastIndex = 0;
  while (RULES_OUT.test(text)) {
    const at = RULES_OUT.lastIndex - tailBefore(text, RULES_OUT.lastIndex);
    while (ends[frame]! <= at) frame++;
    content[frame] = false;
  }
  return content;
}
