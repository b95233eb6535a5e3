import { randomBytes } from "node:crypto";
import { countMessageTokens, countTextTokens } from "../../usage/tokenizer.js";
import { answerSentences, topicOf, type AnswerTopic } from "./answer-text.js";
import { hashString, SeededRandom } from "./random.js";
import { messageText, SimRequestError, type SimRequest, type SimTool } from "./request.js";
import { fixedPieces, sentencePieces, type TokenPieces } from "./token-pieces.js";
import { toolArguments } from "./tool-arguments.js";

/** One choice to generate: its pieces, one token each, come out lazily. */
type ChoicePlan =
  | { kind: "text"; index: number; pieces: TokenPieces }
  | { kind: "tool"; index: number; id: string; name: string; arguments: string; pieces: TokenPieces; nameTokens: number };

export interface CompletionPlan {
  promptTokens: number;
  choices: ChoicePlan[];
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** An OpenAI-looking random id: `prefix` and `length` alphanumerics. */
export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

function chosenTool(request: SimRequest): SimTool | undefined {
  const last = request.messages[request.messages.length - 1];
  if (request.tools.length === 0 || request.toolChoice === "none" || last?.role !== "user") return undefined;
  const choice = request.toolChoice;
  if (typeof choice === "object") {
    const tool = request.tools.find((t) => t.name === choice.name);
    if (!tool) throw new SimRequestError(`Invalid value for 'tool_choice': no function named '${choice.name}' is in 'tools'.`, "tool_choice");
    return tool;
  }
  return request.tools[0];
}

/** The tool results the conversation ends with, named after the calls they answer. */
function trailingToolResults(request: SimRequest): AnswerTopic["toolResults"] {
  const results: AnswerTopic["toolResults"] = [];
  const messages = request.messages;
  for (let i = messages.length - 1; i >= 0 && messages[i]!.role === "tool"; i--) {
    const message = messages[i]!;
    const call = messages.flatMap((m) => m.toolCalls ?? []).find((c) => c.id !== "" && c.id === message.toolCallId);
    results.unshift({ name: call?.name || message.name || "requested", content: messageText(message) });
  }
  return results.slice(-3);
}

/**
 * Decides what each choice says: one tool call when the request offers tools and the
 * user spoke last, otherwise text about the last user message (and any tool results).
 * Deterministic for a given last user message. Throws SimRequestError for a bad tool_choice.
 */
export function planCompletion(request: SimRequest, answerTokens: number): CompletionPlan {
  const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
  const prompt = lastUser ? messageText(lastUser) : "";
  const seed = hashString(prompt);
  const tool = chosenTool(request);
  const topic = topicOf(prompt, tool ? [] : trailingToolResults(request));
  const target = request.maxTokens ?? answerTokens;
  const limited = request.maxTokens !== undefined;

  // Single words make argument values, names ("Paris") first.
  const argumentWords = topic.keywords.flatMap((k) => k.split(" ")).sort((a, b) => Number(/^[A-Z]/.test(b)) - Number(/^[A-Z]/.test(a)));
  const choices: ChoicePlan[] = [];
  for (let index = 0; index < request.n; index++) {
    if (tool) {
      const args = toolArguments(tool.parameters, argumentWords);
      choices.push({ kind: "tool", index, id: randomId("call_"), name: tool.name, arguments: args, pieces: fixedPieces(args, "tool_calls", request.maxTokens), nameTokens: countTextTokens(tool.name) });
    } else {
      const random = new SeededRandom(seed + Math.imul(index, 0x9e3779b9));
      choices.push({ kind: "text", index, pieces: sentencePieces(answerSentences(topic, random), target, limited) });
    }
  }
  return { promptTokens: countMessageTokens(request.messages), choices };
}
