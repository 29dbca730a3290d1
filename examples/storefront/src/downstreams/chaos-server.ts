import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyChaosPatch, HEALTHY, parseChaosPatch, type ChaosPatch, type ChaosSettings, type Pushback } from './chaos.settings.js';

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
  pushedBack: number;
  reset: number;
  hung: number;
  slow: number;
  /** Requests whose caller went away before the answer (a timeout, a hedge's loser). */
  cancelled: number;
  chaos: ChaosSettings;
}

/** What became of a request: still open, answered by the service, or by the chaos. */
export type RequestOutcome = 'pending' | 'answered' | 'error' | 'pushback' | 'reset' | 'cancelled';

/** One request to a service route, as the downstream saw it (`GET /requests`). */
export interface ReceivedRequest {
  /** 1, 2, ... in order of arrival (`requestsReceived` is the last one). */
  readonly seq: number;
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** When it arrived, epoch ms with sub-millisecond precision (a monotonic clock). */
  readonly arrivedAt: number;
  /** The `x-request-deadline-ms` header as received: the caller's budget left, in ms; null without one. */
  readonly deadlineHeader: string | null;
  /** Picked by `slow` (rate or next) for a slow answer. */
  readonly slow: boolean;
  outcome: RequestOutcome;
  /** The status sent, null while pending and when none was (reset, cancelled). */
  status: number | null;
  /** When it was answered, reset or cancelled; null while pending. */
  endedAt: number | null;
}

export const DEADLINE_HEADER = 'x-request-deadline-ms';
/** Requests kept for `GET /requests`: the most recent ones. */
const MAX_RECORDS = 1_000;
const MAX_CONTROL_BODY = 4_096;

/**
 * A downstream service on loopback with chaos controls, its own `node:http` server:
 * - `GET /chaos`, `POST /chaos` with any of `ChaosSettings` (merged; see `parseChaosPatch`),
 *   `POST /chaos/reset` (healthy again), `GET /stats` (counts), `GET /requests[?since=seq]` (the
 *   last 1000 requests: arrival time, the deadline header received, what became of each). Chaos
 *   never affects these routes, so a "down" service can still be healed.
 * - every other route goes to the handler, through the chaos of the moment.
 */
export class ChaosServer {
  private chaos: ChaosSettings = HEALTHY;
  private readonly counts = { received: 0, answered: 0, errors: 0, pushedBack: 0, reset: 0, hung: 0, slow: 0, cancelled: 0 };
  private readonly records: ReceivedRequest[] = [];
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
    return structuredClone(this.chaos);
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

  configure(patch: ChaosPatch): ChaosSettings {
    this.chaos = applyChaosPatch(this.chaos, patch);
    return this.settings;
  }

  reset(): ChaosSettings {
    this.chaos = HEALTHY;
    return this.settings;
  }

  stats(): DownstreamStats {
    return { service: this.service, ...this.counts, chaos: this.settings };
  }

  /** The requests received after request number `since` (of the last 1000), oldest first. */
  requests(since = 0): ReceivedRequest[] {
    return this.records.filter((record) => record.seq > since).map((record) => ({ ...record }));
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://downstream');
    if (url.pathname === '/chaos' || url.pathname === '/chaos/reset' || url.pathname === '/stats' || url.pathname === '/requests') {
      void this.control(request, response, url);
      return;
    }
    this.serve(request, response, url);
  }

  private serve(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const chaos = this.chaos;
    const pushback = chaos.down || chaos.hang ? undefined : this.takePushback();
    const slow = chaos.down || chaos.hang || pushback !== undefined ? false : this.takeSlow();
    const record = this.record(request, url, slow);
    if (chaos.down) {
      this.counts.reset++;
      end(record, 'reset', null);
      request.socket.destroy();
      return;
    }
    // Whatever ends the response first (an answer, the caller going away) decides the outcome.
    response.once('close', () => {
      if (record.outcome !== 'pending') return;
      this.counts.cancelled++;
      end(record, 'cancelled', null);
    });
    if (chaos.hang) {
      this.counts.hung++;
      this.hold(response);
      return;
    }
    if (pushback !== undefined) {
      end(record, 'pushback', pushback.status);
      send(response, pushback.status, { error: `${this.service} is overloaded (chaos pushback)` }, { 'retry-after': String(pushback.retryAfterSec) });
      return;
    }
    const answer = (): void => {
      this.held.delete(response);
      if (response.destroyed) return;
      if (chaos.errorRate > 0 && this.random() < chaos.errorRate) {
        this.counts.errors++;
        end(record, 'error', 503);
        send(response, 503, { error: `${this.service} is failing (chaos errorRate ${chaos.errorRate})` });
        return;
      }
      const reply = this.handler(url);
      this.counts.answered++;
      end(record, 'answered', reply.status);
      send(response, reply.status, reply.body);
    };
    const delay = slow ? chaos.slow.latencyMs : chaos.latencyMs + (chaos.jitterMs > 0 ? this.random() * chaos.jitterMs : 0);
    if (delay <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(answer, delay);
    this.hold(response, () => clearTimeout(timer));
  }

  /** The pushback this request gets, if one is due (`pushback.requests` counts down). */
  private takePushback(): Pushback | undefined {
    const pushback = this.chaos.pushback;
    if (pushback.requests <= 0) return undefined;
    this.chaos = applyChaosPatch(this.chaos, { pushback: { requests: pushback.requests - 1 } });
    this.counts.pushedBack++;
    return pushback;
  }

  /** Whether this request gets a slow answer: one of the `next` ones (counting down), or by `rate`. */
  private takeSlow(): boolean {
    const slow = this.chaos.slow;
    let picked = false;
    if (slow.next > 0) {
      this.chaos = applyChaosPatch(this.chaos, { slow: { next: slow.next - 1 } });
      picked = true;
    } else {
      picked = slow.rate > 0 && this.random() < slow.rate;
    }
    if (picked) this.counts.slow++;
    return picked;
  }

  private record(request: IncomingMessage, url: URL, slow: boolean): ReceivedRequest {
    const header = request.headers[DEADLINE_HEADER];
    const record: ReceivedRequest = {
      seq: ++this.counts.received,
      method: request.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      arrivedAt: now(),
      deadlineHeader: typeof header === 'string' ? header : null,
      slow,
      outcome: 'pending',
      status: null,
      endedAt: null,
    };
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.shift();
    return record;
  }

  /** Keeps a response open; a caller that gives up (timeout, abort) releases it. */
  private hold(response: ServerResponse, onGone?: () => void): void {
    this.held.add(response);
    response.once('close', () => {
      this.held.delete(response);
      onGone?.();
    });
  }

  private async control(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    try {
      if (request.method === 'GET' && path === '/stats') return send(response, 200, this.stats());
      if (request.method === 'GET' && path === '/requests') {
        const since = Number(url.searchParams.get('since') ?? 0);
        return send(response, 200, { service: this.service, requests: this.requests(Number.isFinite(since) ? since : 0) });
      }
      if (request.method === 'GET' && path === '/chaos') return send(response, 200, this.settings);
      if (request.method === 'POST' && path === '/chaos/reset') {
        await readBody(request);
        return send(response, 200, this.reset());
      }
      if (request.method === 'POST' && path === '/chaos') {
        const text = await readBody(request);
        let patch: ChaosPatch;
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

/** Epoch ms from the monotonic clock: arrival gaps measured with it never go backwards. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function end(record: ReceivedRequest, outcome: RequestOutcome, status: number | null): void {
  record.outcome = outcome;
  record.status = status;
  record.endedAt = now();
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
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
