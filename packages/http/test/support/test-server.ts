import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Set when the client went away before the answer was sent. */
  aborted: boolean;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, seen: SeenRequest) => void | Promise<void>;

/** A real HTTP server on a loopback port, recording what it is sent and how many connections it gets. */
export class TestServer {
  readonly requests: SeenRequest[] = [];
  connections = 0;
  private readonly server: http.Server;
  private handler: Handler = (_request, response) => {
    response.end('ok');
  };

  private constructor() {
    this.server = http.createServer((request, response) => {
      const seen: SeenRequest = { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, aborted: false };
      this.requests.push(seen);
      response.on('close', () => {
        if (!response.writableFinished) seen.aborted = true;
      });
      void this.handler(request, response, seen);
    });
    this.server.on('connection', () => this.connections++);
  }

  static async start(): Promise<TestServer> {
    const server = new TestServer();
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What the server does with every request from now on. */
  handle(handler: Handler): void {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers `status` with a small JSON body and `headers`. */
export function answer(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ status }));
}

/** Resolves once `condition()` holds, polling (real time, up to `timeoutMs`). */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
