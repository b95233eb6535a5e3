import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A raw HTTP/1.1 POST that writes its whole body (`declared` bytes, 4 KB at a time, paced)
 * before it reads anything, as curl or a blocking client does; resolves with what the server
 * answered once the connection closes ("(nothing: CODE)" when only an error came). Were the
 * server to close at once after an answer sent with the body unread, the body still coming
 * would meet a reset, and the client's next write would fail with the answer unread.
 * `resetAfterAnswer`: also report an error that followed an answer (" (CODE)" after it), for
 * tests of the close itself; a gateway's tests judge the answer.
 */
export async function sendThenRead(url: string, path: string, headers: Record<string, string>, declared: number, { resetAfterAnswer = false } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let error = "";
  socket.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  // Not events.once: it rejects on the socket's error, and a reset is an outcome here.
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const head = Object.entries({ host: `${hostname}:${port}`, "content-type": "application/json", "content-length": String(declared), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  const chunk = " ".repeat(4096);
  for (let sent = 0; sent < declared && !socket.destroyed; sent += chunk.length) {
    if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), closed]);
    await sleep(1);
  }
  let answer = "";
  socket.setEncoding("latin1");
  socket.on("data", (text: string) => (answer += text));
  await closed;
  if (!error) return answer;
  if (!answer) return `(nothing: ${error})`;
  return resetAfterAnswer ? `${answer} (${error})` : answer;
}

/** Whether `answer` is a whole response with `status`: its status line, its headers, and as many body bytes as its Content-Length says. */
export function wholeAnswer(answer: string, status: number): boolean {
  const parts = new RegExp(`^HTTP/1\\.1 ${status} [^\\r]*\\r\\n([\\s\\S]*?)\\r\\n\\r\\n([\\s\\S]*)$`).exec(answer);
  const length = parts && /^content-length: (\d+)$/im.exec(parts[1]!);
  return length !== null && parts![2]!.length === Number(length[1]);
}
