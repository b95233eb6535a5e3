import type OpenAI from "openai";

export interface CollectedChatStream {
  text: string;
  finish: string | null;
  usage: OpenAI.CompletionUsage | undefined;
}

/** Reads an openai SDK Chat Completions stream to its end: the first choice's text and finish, and the usage chunk. */
export async function collectChatStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<CollectedChatStream> {
  const out: CollectedChatStream = { text: "", finish: null, usage: undefined };
  for await (const chunk of stream) {
    out.text += chunk.choices[0]?.delta?.content ?? "";
    out.finish = chunk.choices[0]?.finish_reason ?? out.finish;
    if (chunk.usage) out.usage = chunk.usage;
  }
  return out;
}
