import { isJsonDataFrame } from "../../sse/data-frame.js";

const isSpace = (code: number) => code === 32 || code === 9;

/** The value after a key (ending at `after`) is not null. */
function notNull(text: string, after: number): boolean {
  let i = after;
  while (isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 58 /* : */) return true;
  i++;
  while (isSpace(text.charCodeAt(i))) i++;
  return !text.startsWith("null", i);
}

/**
 * Marks as not content-only each frame holding `"key"` (split as `head` + `tail`) where `rulesOut`
 * says so. One search over the whole read, on `tail`, whose first character should be rare in
 * chunks: the engine stops at every occurrence of it, and `"` is everywhere in JSON.
 */
function ruleOut(text: string, ends: readonly number[], content: boolean[], head: string, tail: string, rulesOut: (text: string, after: number) => boolean): void {
  let frame = 0;
  for (let at = text.indexOf(tail); at !== -1; at = text.indexOf(tail, at + tail.length)) {
    if (at < head.length || !text.startsWith(head, at - head.length)) continue;
    while (ends[frame]! <= at) frame++;
    if (content[frame] && rulesOut(text, at + tail.length)) content[frame] = false;
  }
}

/**
 * Which frames of a Chat Completions stream read certainly carry content only: one `data:`
 * line of a JSON object with no `"error"` key, and every `"usage"` and `"finish_reason"` null.
 * A key is looked for with its quotes, which a string value cannot hold unescaped, so text
 * never matches; a value that happens to read "usage" or "error" only costs a parse.
 */
export function chatContentFrames(text: string, ends: readonly number[]): boolean[] {
  const content = ends.map((end, i) => isJsonDataFrame(text, i === 0 ? 0 : ends[i - 1]!, end, "data: {"));
  ruleOut(text, ends, content, '"e', 'rror"', () => true);
  ruleOut(text, ends, content, '"', 'usage"', notNull);
  ruleOut(text, ends, content, '"finish', '_reason"', notNull);
  return content;
}
