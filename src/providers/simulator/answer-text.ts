import { extractKeywords, asciiSnippet } from "./keywords.js";
import type { SeededRandom } from "./random.js";

/** What an answer is about: the prompt's key words, and any tool results it reports. */
export interface AnswerTopic {
  keywords: string[];
  toolResults: { name: string; content: string }[];
}

// Each template starts with a capital and ends with a full stop; slots never start one.
const OPENERS = [
  "Here is a short overview of {a} and how it relates to {b}.",
  "Good question about {a}, and the answer depends on a few details.",
  "The short answer is that it pays to keep {a} and {b} simple.",
  "Let me walk through {a} step by step.",
  "There are a few things worth knowing about {a}.",
  "In most setups, reasoning about {a} is easier than it first appears.",
  "When people ask about {a}, they usually want to know how it connects to {b}.",
  "It is worth looking at {a} from a practical point of view.",
];

const BODY = [
  "First, make sure you understand what {a} is expected to do.",
  "A common mistake is to treat {a} and {b} as the same thing.",
  "In practice, the details of {b} matter more than people expect.",
  "It helps to start with a small example and grow it from there.",
  "If something goes wrong, check the logs before changing {a}.",
  "Many teams write down their assumptions about {b} early on.",
  "The details of {c} can change the outcome, so measure before you decide.",
  "A simple rule of thumb is to keep {a} close to where it is used.",
  "Keep in mind that {b} can behave differently under load.",
  "Another option is to combine {a} with a clear fallback plan.",
  "Over time, small improvements to {c} add up.",
  "The documentation for {a} usually covers the most common cases.",
  "When in doubt, test {b} in isolation first.",
  "This approach is easy to explain and easy to change later.",
  "Most of the cost comes from repeated work, not from {a} as such.",
  "You can often avoid surprises by writing a quick test for {b}.",
  "Remember to treat {a} as one part of the bigger picture.",
  "For example, a team might review {c} once a week.",
  "The main trade-off is between speed and safety.",
  "Either way, the goal is a setup that is simple to operate.",
  "It also pays to compare {a} with {c} before committing to one.",
  "Clear names and small steps make {b} much easier to follow.",
];

const FALLBACK_WORDS = ["the question", "the details", "the setup"];

function fill(template: string, random: SeededRandom, words: readonly string[]): string {
  return template.replace(/\{[abc]\}/g, (slot) => {
    // {a} is the main topic; {b} and {c} vary between the other key words.
    if (slot === "{a}") return words[0]!;
    return random.pick(words.length > 1 ? words.slice(1) : FALLBACK_WORDS);
  });
}

function toolSentence(result: { name: string; content: string }): string {
  const snippet = asciiSnippet(result.content, 160);
  const name = asciiSnippet(result.name, 40) || "requested";
  if (!snippet) return `The ${name} tool returned no content.`;
  return `According to the ${name} tool, the result is: ${snippet}${/[.!?]$/.test(snippet) ? "" : "."}`;
}

/**
 * An endless, deterministic run of English sentences about the topic, each beginning
 * with a space so that the concatenation tokenizes as the sum of its sentences.
 */
export function* answerSentences(topic: AnswerTopic, random: SeededRandom): Generator<string, never, undefined> {
  const words = topic.keywords.length > 0 ? topic.keywords : FALLBACK_WORDS;
  let first = true;
  for (const result of topic.toolResults) {
    yield `${first ? "" : " "}${toolSentence(result)}`;
    first = false;
  }
  if (topic.toolResults.length === 0) {
    yield fill(random.pick(OPENERS), random, words);
    first = false;
  }
  let previous = -1;
  for (;;) {
    let next = random.int(BODY.length);
    if (next === previous) next = (next + 1) % BODY.length;
    previous = next;
    yield `${first ? "" : " "}${fill(BODY[next]!, random, words)}`;
    first = false;
  }
}

export function topicOf(prompt: string, toolResults: AnswerTopic["toolResults"] = []): AnswerTopic {
  return { keywords: extractKeywords(prompt), toolResults };
}
