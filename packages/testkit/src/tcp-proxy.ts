import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/**
 * A TCP proxy in front of a real server (Postgres, Redis) that a test can cut and restore, to play
 * "the database went away" without stopping the shared server; or black-hole, to play a link that silently
 * stops forwarding (a frozen NAT entry): connections stay open and nothing arrives either way.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private holding = false;
  port = 0;
  /** connections accepted so far */
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Starts listening (on a random port the first time, on the same port after `cut`). */
  async start(): Promise<number> {
    const server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.targetPort, this.targetHost);
      const pair = { client, upstream };
      this.pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      if (this.holding) this.hold(pair);
      else this.flow(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and refuses new ones until `start()` is called again. */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Resets every open connection (new ones are still accepted). */
  reset(): void {
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Stops forwarding in both directions without closing anything; new connections hang the same way. */
  blackhole(): void {
    this.holding = true;
    for (const p of this.pairs) this.hold(p);
  }

  /** Forwards again (what was held is delivered). */
  resume(): void {
    this.holding = false;
    for (const p of this.pairs) this.flow(p);
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private hold(p: Pair): void {
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    p.client.pause();
    p.upstream.pause();
  }

  private flow(p: Pair): void {
    p.client.pipe(p.upstream);
    p.upstream.pipe(p.client);
  }
}

/** A URL like `url` but pointing at 127.0.0.1:port. */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
