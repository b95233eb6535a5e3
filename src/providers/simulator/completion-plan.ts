import { randomBytes } from "node:crypto";
import { countMessageTokens, countTextTokens } from "../../usage/tokenizer.js";
import { naturalAnswerTokens } from "./answer-length.js";
import { answerSentences, topicOf, type AnswerTopic } from "./answer-text.js";
import { hashString, SeededRandom } from "./random.js";
import { messageText, SimRequestError, type SimRequest } from "./request.js";
import { fixedPieces, sentencePieces, stoppedPieces, type TokenPieces } from "./token-pieces.js";
import { toolArguments } from "./tool-arguments.js";
import { requestedTool, type SimTool } from "./tool-match.js";

/** One choice to generate: its pieces, one token each, come out lazily. */
type ChoicePlan = { kind: "text"; index: number; pieces: TokenPieces } | { kind: "tool"; index: number; id: string; name: string; arguments: string; pieces: TokenPieces; nameTokens: number };

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

/** The messages since the model last spoke: the user's turn, tool results, and instructions. */
function currentTurn(request: SimRequest): SimRequest["messages"] {
  const lastAssistant = request.messages.findLastIndex((m) => m.role === "assistant");
  return request.messages.slice(lastAssistant + 1);
}

/**
 * The tool a model would call now: only when the turn since it last spoke is the user's
 * (after tool results it answers): the one tool_choice names, else the one the user's
 * words ask for, else with tool_choice "required" the first.
 */
function chosenTool(request: SimRequest): SimTool | undefined {
  const turn = currentTurn(request);
  const lastUser = turn.findLast((m) => m.role === "user");
  if (request.tools.length === 0 || request.toolChoice === "none" || !lastUser || turn.some((m) => m.role === "tool")) return undefined;
  const choice = request.toolChoice;
  if (typeof choice === "object") {
    const tool = request.tools.find((t) => t.name === choice.name);
    if (!tool) throw new SimRequestError(`Invalid value for 'tool_choice': no function named '${choice.name}' is in 'tools'.`, "tool_choice");
    return tool;
  }
  const asked = requestedTool(request.tools, messageText(lastUser));
  return asked ?? (choice === "required" ? request.tools[0] : undefined);
}

/** The tool results of the current turn, named after the calls they answer. */
function trailingToolResults(request: SimRequest): AnswerTopic["toolResults"] {
  const calls = request.messages.flatMap((m) => m.toolCalls ?? []);
  const results = currentTurn(request)
    .filter((m) => m.role === "tool")
    .map((message) => {
      const call = calls.find((c) => c.id !== "" && c.id === message.toolCallId);
      return { name: call?.name || message.name || "requested", content: messageText(message) };
    });
  return results.slice(-3);
}

/**
 * Decides what each choice says: a tool call when chosenTool finds one, otherwise text
 * about the last user message (and any tool results), of a natural length (or
 * `answerTokens` when configured) cut at max tokens ("length") or a stop sequence.
 * Deterministic for a given last user message. Throws SimRequestError for a bad tool_choice.
 */
export function planCompletion(request: SimRequest, answerTokens: number | undefined): CompletionPlan {
  const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
  const prompt = lastUser ? messageText(lastUser) : "";
  const seed = hashString(prompt);
  const tool = chosenTool(request);
  const topic = topicOf(prompt, tool ? [] : trailingToolResults(request));

  // Single words make argument values, names ("Paris") first.
  const argumentWords = topic.keywords.flatMap((k) => k.split(" ")).sort((a, b) => Number(/^[A-Z]/.test(b)) - Number(/^[A-Z]/.test(a)));
  const choices: ChoicePlan[] = [];
  for (let index = 0; index < request.n; index++) {
    if (tool) {
      const args = toolArguments(tool.parameters, argumentWords);
      choices.push({
        kind: "tool",
        index,
        id: randomId("call_"),
        name: tool.name,
        arguments: args,
        pieces: fixedPieces(args, "tool_calls", request.maxTokens),
        nameTokens: countTextTokens(tool.name),
      });
    } else if (request.json) {
      // Asked for JSON, a model answers with JSON: an object following the schema (a
      // plain one without), its strings the prompt's words.
      const text = toolArguments(request.json === "object" ? { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] } : request.json.schema, argumentWords);
      choices.push({ kind: "text", index, pieces: fixedPieces(text, "stop", request.maxTokens) });
    } else {
      const random = new SeededRandom(seed + Math.imul(index, 0x9e3779b9));
      const natural = answerTokens ?? naturalAnswerTokens(random);
      const target = Math.min(natural, request.maxTokens ?? natural);
      const pieces = sentencePieces(answerSentences(topic, random), target, target < natural);
      choices.push({ kind: "text", index, pieces: request.stop.length > 0 ? stoppedPieces(pieces, request.stop) : pieces });
    }
  }
  return { promptTokens: countMessageTokens(request.messages), choices };
}
