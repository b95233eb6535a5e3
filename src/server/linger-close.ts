import { Socket } from "node:net";

export interface LingerLimits {
  /** Connections lingering at once; past it a connection is closed at once, as without lingering. */
  max: number;
  /** How long a connection may linger after its answer, in all. */
  totalMs: number;
  /** How long a lingering client may send nothing before it counts as done (checked every idleMs). */
  idleMs: number;
}

/** nginx's lingering_time and lingering_timeout, shorter: most clients close on our FIN within a round trip. */
const LIMITS: LingerLimits = { max: 1024, totalMs: 2_000, idleMs: 500 };

/**
 * Closes a connection whose request body was left unread (refused before it was read)
 * without losing the answer. Closing a socket with unread bytes makes the kernel send RST
 * instead of FIN, and a client still sending its body then gets ECONNRESET on a write
 * before it has read the answer. So, as nginx's lingering close: after the answer, FIN,
 * read and drop what the client still sends, and close once it closes its side, is silent
 * for `idleMs`, or after `totalMs`.
 */
export class LingeringClose {
  private lingering = 0;

  constructor(private readonly limits: LingerLimits = LIMITS) {}

  /** Connections lingering now. */
  get count(): number {
    return this.lingering;
  }

  /** Call once the answer is written (the response's "finish"), instead of destroying the socket. */
  close(socket: Socket | null | undefined): void {
    if (!socket || socket.destroyed) return;
    // Not a TCP socket (HTTP/2's compatibility API), or too many already: closed at once, as before.
    if (!(socket instanceof Socket) || this.lingering >= this.limits.max) {
      socket.destroy();
      return;
    }
    this.lingering++;
    // node:http ends a "Connection: close" answer's socket and destroys it once the FIN is
    // out (destroySoon); that destroy, with the body still arriving, is the RST.
    socket.off("finish", socket.destroy);
    // The connection is no longer HTTP's: past the body its parser would take the client's
    // next bytes for a request, and at the client's FIN report the cut body as an error.
    socket.removeAllListeners("data");
    socket.removeAllListeners("end");
    const done = () => socket.destroy();
    const total = setTimeout(done, this.limits.totalMs);
    let heard = false;
    // Timers run before the loop reads sockets: after this process stalled, the client's bytes
    // may be waiting unread. The verdict on silence waits for the reads (setImmediate).
    const silence = setInterval(
      () =>
        setImmediate(() => {
          if (!heard) done();
          heard = false;
        }),
      this.limits.idleMs,
    );
    // A "data" listener also takes the socket's reads back from the parser (node:http
    // unconsumes it): each chunk arrives here and is dropped, nothing is kept.
    socket.on("data", () => (heard = true));
    socket.once("end", done);
    socket.once("close", () => {
      clearTimeout(total);
      clearInterval(silence);
      this.lingering--;
    });
    // The FIN after the answer (node:http has ended the socket already if it answered "Connection: close").
    socket.end();
    // Reading may have stopped while the body was refused (backpressure): drain again.
    socket.resume();
    readAgain(socket);
  }
}

/**
 * While its parser has a socket, node:http starts and stops reading its handle itself (a
 * refused body backing up stops it), and the stream's resume() does not start it again.
 */
function readAgain(socket: Socket): void {
  const handle = (socket as Socket & { _handle?: { reading?: boolean; readStart?: () => number } })._handle;
  if (!handle?.readStart || handle.reading) return;
  handle.reading = true;
  handle.readStart();
}
