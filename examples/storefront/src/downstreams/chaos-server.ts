import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEALTHY, parseChaosPatch, type ChaosSettings } from './chaos.settings.js';

/** What a downstream's own route answers. */
export interface DownstreamReply {
  status: number;
  body: unknown;
}

/** A downstream's API: answers a request for anything but the control routes. */
export type DownstreamHandler = (url: URL) => DownstreamReply;

/** What a downstream did with the requests it received. */
export interface DownstreamStats {
  service: string;
  /** Requests received on the service's own routes (control routes not counted). */
  received: number;
  answered: number;
  errors: number;
  reset: number;
  hung: number;
  chaos: ChaosSettings;
}

const MAX_CONTROL_BODY = 4_096;

/**
 * A downstream service on loopback with chaos controls, its own `node:http` server:
 * - `GET /chaos`, `POST /chaos` with `{ errorRate?, latencyMs?, hang?, down? }` (merged),
 *   `POST /chaos/reset` (healthy again), `GET /stats` (requests received). Chaos never affects
 *   these routes, so a "down" service can still be healed.
 * - every other route goes to the handler, through the chaos of the moment.
 */
export class ChaosServer {
  private chaos: ChaosSettings = { ...HEALTHY };
  private readonly counts = { received: 0, answered: 0, errors: 0, reset: 0, hung: 0 };
  private readonly server: Server;
  /** Requests delayed or hung: ended when the server stops. */
  private readonly held = new Set<ServerResponse>();
  private address: string | undefined;

  constructor(
    readonly service: string,
    private readonly handler: DownstreamHandler,
    private readonly random: () => number = Math.random,
  ) {
    this.server = createServer((request, response) => this.route(request, response));
  }

  /** Base URL, once started. */
  get url(): string {
    if (this.address === undefined) throw new Error(`${this.service} is not started`);
    return this.address;
  }

  get requestsReceived(): number {
    return this.counts.received;
  }

  get settings(): ChaosSettings {
    return { ...this.chaos };
  }

  /** Listens on `port` (0: a free port) on loopback. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port: actual } = this.server.address() as AddressInfo;
    this.address = `http://${host}:${actual}`;
    return this.address;
  }

  /** Stops listening and ends every open connection, held requests included. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    for (const response of this.held) response.destroy();
    this.held.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  configure(patch: Partial<ChaosSettings>): ChaosSettings {
    this.chaos = { ...this.chaos, ...patch };
    return this.settings;
  }

  reset(): ChaosSettings {
    this.chaos = { ...HEALTHY };
    return this.settings;
  }

  stats(): DownstreamStats {
    return { service: this.service, ...this.counts, chaos: this.settings };
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://downstream');
    if (url.pathname === '/chaos' || url.pathname === '/chaos/reset' || url.pathname === '/stats') {
      void this.control(request, response, url.pathname);
      return;
    }
    this.serve(request, response, url);
  }

  private serve(request: IncomingMessage, response: ServerResponse, url: URL): void {
    this.counts.received++;
    const chaos = this.chaos;
    if (chaos.down) {
      this.counts.reset++;
      request.socket.destroy();
      return;
    }
    if (chaos.hang) {
      this.counts.hung++;
      this.hold(response);
      return;
    }
    const answer = (): void => {
      this.held.delete(response);
      if (response.destroyed) return;
      if (chaos.errorRate > 0 && this.random() < chaos.errorRate) {
        this.counts.errors++;
        send(response, 503, { error: `${this.service} is failing (chaos errorRate ${chaos.errorRate})` });
        return;
      }
      const reply = this.handler(url);
      this.counts.answered++;
      send(response, reply.status, reply.body);
    };
    if (chaos.latencyMs <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(answer, chaos.latencyMs);
    this.hold(response, () => clearTimeout(timer));
  }

  /** Keeps a response open; a caller that gives up (timeout, abort) releases it. */
  private hold(response: ServerResponse, onGone?: () => void): void {
    this.held.add(response);
    response.once('close', () => {
      this.held.delete(response);
      onGone?.();
    });
  }

  private async control(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    try {
      if (request.method === 'GET' && path === '/stats') return send(response, 200, this.stats());
      if (request.method === 'GET' && path === '/chaos') return send(response, 200, this.settings);
      if (request.method === 'POST' && path === '/chaos/reset') {
        await readBody(request);
        return send(response, 200, this.reset());
      }
      if (request.method === 'POST' && path === '/chaos') {
        const text = await readBody(request);
        let patch: Partial<ChaosSettings>;
        try {
          patch = parseChaosPatch(text.trim() === '' ? {} : JSON.parse(text));
        } catch (error) {
          return send(response, 400, { error: error instanceof Error ? error.message : String(error) });
        }
        return send(response, 200, this.configure(patch));
      }
      send(response, 405, { error: `${request.method ?? '?'} ${path} is not a control route` });
    } catch (error) {
      send(response, 400, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONTROL_BODY) throw new Error(`body larger than ${MAX_CONTROL_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
