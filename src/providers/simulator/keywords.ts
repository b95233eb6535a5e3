// Function words, question words and the generic verbs and adjectives of requests:
// what is left of a prompt is its topic.
const STOPWORDS = new Set(
  (
    "a about above actually add after again all also am an and any are as at basically be because been before being below best " +
    "better between big both build but by call called can change choose compare configure correct could create currently deal " +
    "define definition describe did difference different do does doing done down during each either else even ever every example examples explain " +
    "few find fix for from further get gets getting give given go going good got had handle happen happens has have having he " +
    "help helps her here hers him his how however i if implement improve in install into is it its just kind know large latest " +
    "learn let like list look looking make many may me mean means might mine more most much must my need needs new no nor not " +
    "now of off often old on once one only or other our ours out over own please possible properly quick quickly read really " +
    "recommend remove right run running same say see set setup shall she should show simple small so some something step steps " +
    "stop such suggest sure tell than thank thanks that the their theirs them then there these they thing things think this " +
    "those though through to today tomorrow too try trying under understand until up update upon us use used using very via want was " +
    "way we well were what whats when where whether which while who whom whose why will with within without work working works " +
    "would write wrong yes yesterday yet you your yours"
  ).split(" "),
);

const WORD = /[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*/g;

/** True for a word that can carry a topic: three letters or more and not a function word. */
export function isContentWord(word: string): boolean {
  return word.length >= 3 && !STOPWORDS.has(word.toLowerCase());
}
const MAX_PHRASE_WORDS = 3;

/**
 * Up to `max` distinct topic phrases of a prompt: runs of adjacent content words
 * ("rate limits", "nginx"), longer phrases first, then in prompt order. ASCII only,
 * so every echoed word tokenizes and decodes cleanly.
 */
export function extractKeywords(text: string, max = 3): string[] {
  const phrases: string[][] = [];
  let current: string[] = [];
  let lastEnd = -1;
  const close = () => {
    if (current.length > 0) phrases.push(current);
    current = [];
  };
  for (const match of text.matchAll(WORD)) {
    let word = match[0];
    const start = match.index;
    const lower = word.toLowerCase();
    // A capital that only marks the start of the prompt is not part of the word.
    if (lastEnd === -1 && /^[A-Z][a-z]+$/.test(word)) word = lower;
    const adjacent = lastEnd !== -1 && /^[ \t]+$/.test(text.slice(lastEnd, start));
    lastEnd = start + word.length;
    if (word.length < 3 || word.length > 30 || STOPWORDS.has(lower)) {
      close();
      continue;
    }
    if (!adjacent || current.length === MAX_PHRASE_WORDS) close();
    current.push(word);
  }
  close();

  // A phrase of several words names the topic better than a lone word (often a verb).
  const ranked = phrases.map((words, order) => ({ words, order })).sort((a, b) => b.words.length - a.words.length || a.order - b.order);
  const found: string[] = [];
  const seen = new Set<string>();
  for (const { words } of ranked) {
    const phrase = words.join(" ");
    const key = phrase.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    found.push(phrase);
    if (found.length === max) break;
  }
  return found;
}

/** Text reduced to printable ASCII on one line, cut to `max` characters. */
export function asciiSnippet(text: string, max: number): string {
  const clean = text
    .replace(/[^\x20-\x7e]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 3).trimEnd()}...`;
}
