import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Bounds connections that have not yet sent a request's headers: who they are is unknown
 * until then, so past `max` of them a new connection is closed at once. (Node's
 * headersTimeout bounds how long each may stay so.) Once a request arrives its key is
 * checked before its body is read (node-handler), so no unauthenticated request holds more.
 */
export function guardPendingConnections(server: Server, max: number): void {
  const pending = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    if (pending.size >= max) {
      socket.destroy();
      return;
    }
    pending.add(socket);
    socket.once("close", () => pending.delete(socket));
  });
  server.on("request", (req: { socket: Socket }) => pending.delete(req.socket));
}
