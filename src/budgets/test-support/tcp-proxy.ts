import { createConnection, createServer, type Socket } from "node:net";

/** A TCP relay in front of a server whose link a test can cut, stall, and restore. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones, like a server that went away. */
  cut(): void;
  /** Keeps connections open but passes nothing, like a hung server or a dead network path. */
  stall(): void;
  /** Forwards again; stalled connections are dropped since bytes were lost on them. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  let mode: "forward" | "cut" | "stall" = "forward";
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };

  const server = createServer((client) => {
    track(client);
    if (mode === "cut") return void client.destroy();
    if (mode === "stall") return void client.resume();
    const upstream = createConnection(targetPort, targetHost);
    track(upstream);
    client.on("data", (data) => void (mode === "forward" && upstream.write(data)));
    upstream.on("data", (data) => void (mode === "forward" && client.write(data)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  return {
    port: address.port,
    cut() {
      mode = "cut";
      dropAll();
    },
    stall() {
      mode = "stall";
    },
    restore() {
      mode = "forward";
      dropAll();
    },
    close() {
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
