import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { machineNow } from '@bulwark/local-cluster';

/** One request the downstream received: when (`machineNow()`, as the replicas' events), from which replica, answered how. */
export interface DownstreamRequest {
  readonly replica: string;
  readonly start: number;
  end: number;
  readonly status: number;
}

/**
 * The dependency behind every replica, in the test process: counts every request, remembers when it
 * arrived and was answered (so concurrency over any time span can be computed afterwards), and can
 * be switched dead (HTTP 500 at once) and healthy again.
 */
export class TestDownstream {
  readonly requests: DownstreamRequest[] = [];
  healthy = true;
  private server: Server | undefined;
  private base = '';

  get url(): string {
    return `${this.base}/dependency`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const entry: DownstreamRequest = {
        replica: String(request.headers['x-replica'] ?? '?'),
        start: machineNow(),
        end: NaN,
        status: this.healthy ? 200 : 500,
      };
      this.requests.push(entry);
      response.once('close', () => {
        entry.end = machineNow();
      });
      response.writeHead(entry.status, { 'content-type': 'application/json' });
      response.end(entry.status === 200 ? '{"ok":true}' : '{"ok":false}');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Requests that arrived in [from, to] (inclusive, ms). */
  between(from: number, to: number): DownstreamRequest[] {
    return this.requests.filter((request) => request.start >= from && request.start <= to);
  }
}

/**
 * The most of `requests` in flight at one time: for each request, itself plus the others that
 * started no later and had not ended when it started (a request still open counts as not ended).
 * A request ending in the millisecond another starts does not overlap it.
 */
export function maxConcurrency(requests: readonly DownstreamRequest[]): number {
  let max = 0;
  for (const request of requests) {
    let overlapping = 0;
    for (const other of requests) {
      if (other === request || (other.start <= request.start && !(other.end <= request.start))) overlapping++;
    }
    max = Math.max(max, overlapping);
  }
  return max;
}
