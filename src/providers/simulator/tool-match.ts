import { isContentWord } from "./keywords.js";

/** A function tool offered by the request. */
export interface SimTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** Lower-case words of a text, camelCase and snake_case split apart. */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * How strongly the user's words ask for a tool: 3 when its whole name is among them,
 * 2 when every content word of its name is, 1 when at least half of the user's content
 * words appear in its description, 0 otherwise.
 */
function score(tool: SimTool, said: ReadonlySet<string>, content: readonly string[], text: string): number {
  // A namespaced tool reaches the simulator as `<namespace>__<name>`: the user names it by its own name.
  const own = tool.name.split("__").at(-1) || tool.name;
  for (const name of new Set([tool.name, own])) if (new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[^A-Za-z0-9]/g, "\\$&")}($|[^A-Za-z0-9_])`, "i").test(text)) return 3;
  const nameWords = words(tool.name).filter(isContentWord);
  if (nameWords.length > 0 && nameWords.every((w) => said.has(w) || said.has(`${w}s`))) return 2;
  if (!tool.description || content.length === 0) return 0;
  const described = new Set(words(tool.description));
  const hits = content.filter((w) => described.has(w)).length;
  return hits > 0 && hits * 2 >= content.length ? 1 : 0;
}

/**
 * The tool the user's last turn asks for, as a model would pick it: by name first,
 * then by what its description says; undefined when nothing matches.
 */
export function requestedTool(tools: readonly SimTool[], text: string): SimTool | undefined {
  const said = words(text);
  const content = [...new Set(said.filter((w) => w.length >= 4 && isContentWord(w)))];
  const saidSet = new Set(said);
  let best: SimTool | undefined;
  let bestScore = 0;
  for (const tool of tools) {
    const s = score(tool, saidSet, content, text);
    if (s > bestScore) [best, bestScore] = [tool, s];
  }
  return best;
}
