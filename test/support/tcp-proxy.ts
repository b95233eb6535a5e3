import { connect, createServer, type Server, type Socket } from "node:net";

type Mode = "forward" | "cut" | "stall";

/** A TCP relay on 127.0.0.1 in front of a server (PostgreSQL, Redis) whose link a test can cut, stall and restore. */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private mode: Mode = "forward";

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { port: number; host?: string }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, target.port, target.host ?? "127.0.0.1"));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    proxy = new TcpProxy(server, portOf(server));
    return proxy;
  }

  private accept(client: Socket, port: number, host: string): void {
    if (this.mode === "cut") return void client.destroy();
    this.track(client);
    // A hung server: the connection opens, what is sent is swallowed, nothing comes back.
    if (this.mode === "stall") return void client.resume();
    const upstream = connect(port, host);
    this.track(upstream);
    client.on("data", (data) => void (this.mode === "forward" && upstream.write(data)));
    upstream.on("data", (data) => void (this.mode === "forward" && client.write(data)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    // Errors are expected once a link is cut; either side failing ends the pair.
    socket.on("error", () => socket.destroy());
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Drops every connection and refuses new ones until `restore`, like a server that went away. */
  cut(): void {
    this.mode = "cut";
    this.dropAll();
  }

  /** Keeps connections open but passes nothing, like a hung server or a dead network path. */
  stall(): void {
    this.mode = "stall";
  }

  /** Forwards again. Connections open while stalled are dropped, since bytes were lost on them; healthy ones are kept. */
  restore(): void {
    if (this.mode === "stall") this.dropAll();
    this.mode = "forward";
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no port");
  return address.port;
}
