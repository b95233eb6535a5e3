import type { ResolvedRoute } from "./resolve.js";

/** How specific a pattern is: its literal characters (a name without `*` beats every pattern). */
function specificity(pattern: string): number {
  return pattern.includes("*") ? pattern.replaceAll("*", "").length : Number.POSITIVE_INFINITY;
}

function matches(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`).test(name);
}

/**
 * The route that answers a model name: the route of that name, else the route with that
 * exact alias, else the route whose `*` pattern matches with the most literal characters
 * (the first in config order on a tie). New model names ("claude-opus-4-8") reach a route
 * without a config change.
 */
export function findRoute(models: Readonly<Record<string, ResolvedRoute>>, name: string): ResolvedRoute | undefined {
  if (Object.hasOwn(models, name)) return models[name];
  let best: ResolvedRoute | undefined;
  let bestScore = -1;
  for (const route of Object.values(models)) {
    for (const alias of route.aliases ?? []) {
      const score = specificity(alias);
      if (score > bestScore && matches(alias, name)) [best, bestScore] = [route, score];
    }
  }
  return best;
}

/** The route's targets with a `*` model replaced by the name the client asked for (a route serving a family of models). */
export function targetsFor(route: ResolvedRoute, asked: string): ResolvedRoute["targets"] {
  return route.targets.some((t) => t.model === "*") ? route.targets.map((t) => (t.model === "*" ? { ...t, model: asked } : t)) : route.targets;
}
