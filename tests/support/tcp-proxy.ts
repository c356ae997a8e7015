import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a shared service (Postgres, Redis, NATS). Cutting it looks to a client
 * library exactly like the server going away (open connections drop, new ones are refused),
 * without stopping the service other tests are using.
 */
export interface TcpProxy {
  readonly port: number;
  /** Stops listening and drops every open connection. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Cuts for good. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `targetHost:targetPort`. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const listen = () =>
    new Promise<void>((done, fail) => {
      const next = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        track(client);
        track(upstream);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      });
      next.once('error', fail);
      next.listen(port, '127.0.0.1', () => {
        const address = next.address();
        if (address && typeof address === 'object') port = address.port;
        server = next;
        done();
      });
    });
  const cut = async () => {
    const current = server;
    server = undefined;
    const closed = current ? new Promise<void>((done) => current.close(() => done())) : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    restore: listen,
    close: cut,
  };
}
