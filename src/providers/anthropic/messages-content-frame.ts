import { isJsonDataFrame } from "../../sse/data-frame.js";

/** A content_block_delta as Anthropic writes it: the event line, then the payload with its type first. */
const DELTA = 'event: content_block_delta\ndata: {"type":"content_block_delta",';

/**
 * Which frames of a Messages stream read certainly carry content only: content_block_deltas
 * (text, thinking, tool input). Usage, the stop reason, errors and message_stop come in other
 * events, which are parsed; so are deltas written in any other shape.
 */
export function messagesContentFrames(text: string, ends: readonly number[]): boolean[] {
  return ends.map((end, i) => isJsonDataFrame(text, i === 0 ? 0 : ends[i - 1]!, end, DELTA));
}
