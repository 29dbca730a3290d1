import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One client connection through the proxy, and what it was seen doing. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** `commands` once it sent a script, `subscriber` once it sent SUBSCRIBE. */
  role: 'unknown' | 'commands' | 'subscriber';
  /** Replies held back from the client while replies are held. */
  held: Buffer[];
}

/**
 * A TCP proxy in front of a Redis, for races that need a reply to arrive late: it can hold back
 * the replies to a client's script commands (the store's command connection) while everything else
 * flows, release them, and cut subscriber connections (the client reconnects and subscribes again).
 */
export class HoldingProxy {
  /** Script requests seen from clients (each EVALSHA or EVAL sent through the proxy). */
  scriptRequests = 0;
  private holding = false;
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Replies held back so far (bytes Redis sent that the client has not received). */
  get heldBytes(): number {
    let bytes = 0;
    for (const link of this.links) for (const chunk of link.held) bytes += chunk.length;
    return bytes;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => this.connect(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** From now on, replies to script connections wait for `release()`. */
  hold(): void {
    this.holding = true;
  }

  /** Delivers every held reply, in order, and stops holding. */
  release(): void {
    this.holding = false;
    for (const link of this.links) {
      for (const chunk of link.held.splice(0)) link.client.write(chunk);
    }
  }

  /** Cuts every subscriber connection (as a network blip would). */
  dropSubscribers(): void {
    for (const link of this.links) {
      if (link.role !== 'subscriber') continue;
      link.client.destroy();
      link.upstream.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connect(client: Socket): void {
    const upstream = createConnection(this.target);
    const link: Link = { client, upstream, role: 'unknown', held: [] };
    this.links.add(link);
    const close = (): void => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1').toLowerCase();
      const scripts = (text.match(/\r\n(evalsha|eval)\r\n/g) ?? []).length;
      if (scripts > 0) {
        link.role = 'commands';
        this.scriptRequests += scripts;
      } else if (text.includes('\r\nsubscribe\r\n')) {
        link.role = 'subscriber';
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.holding && link.role === 'commands') link.held.push(chunk);
      else client.write(chunk);
    });
  }
}
