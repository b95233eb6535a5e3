/**
 * Which tokenizer a model's counts come from, by its name: counts carry over between two
 * models of one family, and are only an estimate across families.
 */
const FAMILIES: readonly [RegExp, string][] = [
  [/^(gpt-|o\d|chatgpt|text-embedding|davinci|babbage)/, "openai"],
  [/^claude/, "anthropic"],
  [/^gemini|^gemma/, "google"],
  [/^(mistral|mixtral|codestral|ministral|magistral|pixtral|open-mistral)/, "mistral"],
  [/^deepseek/, "deepseek"],
  [/^grok/, "xai"],
  [/^(llama|meta-llama)/, "llama"],
];

export function tokenizerFamily(model: string): string {
  const name = model.toLowerCase().replace(/^[^/]*\//, "");
  return FAMILIES.find(([pattern]) => pattern.test(name))?.[1] ?? `model:${name}`;
}
