import type { SeededRandom } from "./random.js";

/** Median and spread of a natural answer's length in tokens: most answers run 40–200 tokens, a few much longer. */
const MEDIAN_TOKENS = 90;
const LOG_SPREAD = 0.6;
const MIN_TOKENS = 12;
const MAX_TOKENS = 800;

/**
 * How long an answer wants to be, drawn from a log-normal distribution (answers are
 * mostly short with a long tail), deterministic for a given random stream.
 */
export function naturalAnswerTokens(random: SeededRandom): number {
  // Box–Muller: two uniforms to one standard normal; 1 - next() keeps the log finite.
  const normal = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const tokens = Math.round(MEDIAN_TOKENS * Math.exp(LOG_SPREAD * normal));
  return Math.min(MAX_TOKENS, Math.max(MIN_TOKENS, tokens));
}
