export type GeminiMethod = "generateContent" | "streamGenerateContent" | "countTokens" | "embedContent" | "batchEmbedContents";

const METHODS: ReadonlySet<string> = new Set<GeminiMethod>(["generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"]);

/** `/v1beta/models/{model}:{method}`, and the same under `/v1/` (where @google/genai's default apiVersion points). */
const GEMINI_PATH = /^\/(?:v1beta|v1)\/models\/([^/:]+):([A-Za-z]+)$/;

/** The model and method of a Gemini API path; undefined for any other path. */
export function geminiCall(path: string): { model: string; method: GeminiMethod } | undefined {
  const m = GEMINI_PATH.exec(path);
  if (!m || !METHODS.has(m[2]!)) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  return model === "" ? undefined : { model, method: m[2] as GeminiMethod };
}
