import type { ResolvedRoute } from "../../config/resolve.js";

/** `/v1beta/models[/{model}]`, and the same under `/v1/` (where OpenAI's list lives too). */
const MODELS_PATH = /^\/(v1beta|v1)\/models(?:\/([^/:]+))?$/;

/** Every method a route can serve from Gemini's API (whether it embeds depends on its targets). */
const METHODS = ["generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"];

/** A route as Gemini's Model resource. */
function modelOf(route: ResolvedRoute): Record<string, unknown> {
  return {
    name: `models/${route.name}`,
    baseModelId: route.name,
    version: "tollgate",
    displayName: route.name,
    ...(route.description ? { description: route.description } : {}),
    ...(route.contextWindow ? { inputTokenLimit: route.contextWindow } : {}),
    ...(route.maxOutputTokens ? { outputTokenLimit: route.maxOutputTokens } : {}),
    supportedGenerationMethods: METHODS,
  };
}

/**
 * Whether a GET on this path asks for Gemini's model catalogue: any `/v1beta/models` path,
 * and `/v1/models` paths from a Google client (`google`: it sent `x-goog-api-key`,
 * `x-goog-api-client` or `?key=`), as @google/genai does by default; OpenAI's clients get
 * their own list there.
 */
export function isGeminiModelsRequest(path: string, google: boolean): boolean {
  const m = MODELS_PATH.exec(path);
  return m !== null && (m[1] === "v1beta" || google);
}

/**
 * Gemini's model catalogue over the configured routes: the list, or one model by name;
 * undefined for a name that is no route.
 */
export function geminiModelsBody(path: string, routes: Readonly<Record<string, ResolvedRoute>>): unknown {
  const encoded = MODELS_PATH.exec(path)?.[2];
  if (encoded === undefined) return { models: Object.values(routes).map(modelOf) };
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return Object.hasOwn(routes, name) ? modelOf(routes[name]!) : undefined;
}
