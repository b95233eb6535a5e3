/** Frames one SSE message. `data` must not contain raw newlines (JSON never does). */
export function sseFrame(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

export const SSE_HEARTBEAT = ": keep-alive\n\n";
