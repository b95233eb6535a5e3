const NULL_USAGE = /"usage"\s*:\s*null/g;

/** The nesting depth at `at` of a JSON text (1: inside the top-level object), strings jumped over. */
function depthAt(text: string, at: number): number {
  let depth = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      // `at` inside a string (a key or text that spells the field): not a field.
      if (end < 0 || end >= at) return -1;
      i = end;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}

const isEscaped = (text: string, quote: number) => {
  let backslashes = 0;
  while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
  return backslashes % 2 === 1;
};

/** The top-level `"usage": null` field cut from the text with its comma; undefined when there is none to cut that way. */
function cutNullUsage(raw: string): string | undefined {
  for (const match of raw.matchAll(NULL_USAGE)) {
    if (depthAt(raw, match.index) !== 1) continue;
    const end = match.index + match[0].length;
    const before = /,\s*$/.exec(raw.slice(0, match.index));
    if (before) return raw.slice(0, before.index) + raw.slice(end);
    const after = /^\s*,\s*/.exec(raw.slice(end));
    return after ? raw.slice(0, match.index) + raw.slice(end + after[0].length) : undefined;
  }
  return undefined;
}

/**
 * A chunk without the `"usage": null` that OpenAI adds to every chunk once usage is asked
 * for: a client that did not ask would not see the field from the provider, and some
 * (Mistral's SDK) reject it. Cut from the text (the rest byte for byte), which costs a
 * fraction of parsing the chunk and writing it again; parsed only when it cannot be cut.
 */
export function withoutNullUsage(raw: string): string {
  if (!raw.includes('"usage":null') && !raw.includes('"usage": null')) return raw;
  const cut = cutNullUsage(raw);
  if (cut !== undefined) return cut;
  const chunk = JSON.parse(raw) as Record<string, unknown>;
  if (chunk.usage !== null) return raw;
  delete chunk.usage;
  return JSON.stringify(chunk);
}
