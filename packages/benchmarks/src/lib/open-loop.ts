import http from 'node:http';

/** `status` of a request that got no answer within the client's timeout. */
export const TIMED_OUT = -1;
/** `status` of a request whose connection failed. */
export const CONNECTION_ERROR = 0;

/** Every request of one open-loop run, by index: when it was due, what came back, how long it took. */
export interface RequestLog {
  /** When each request was due, in ms from the start of the run (`index / rate`). */
  readonly scheduledMs: Float64Array;
  /** From when it was due to the end of its response body (or its failure), in ms. */
  readonly latencyMs: Float64Array;
  /** HTTP status, or `TIMED_OUT` / `CONNECTION_ERROR`. */
  readonly status: Int16Array;
  /** How late the generator sent requests (send time - due time), in ms: p99 and max, to show it kept up. */
  readonly sendLagP99Ms: number;
  readonly sendLagMaxMs: number;
}

export interface OpenLoopOptions {
  /** The URL of request `index`. */
  readonly url: (index: number) => string;
  /** Requests per second, evenly spaced. */
  readonly rate: number;
  readonly durationMs: number;
  /** The client gives up on a request after this long without an answer. */
  readonly timeoutMs: number;
}

/**
 * Offers `rate` requests per second for `durationMs`, each sent when due whatever is still in
 * flight (an open loop: load does not drop when the server slows down, as it does with a fixed
 * number of connections each waiting for its answer). Latency counts from when a request was due,
 * so a generator that falls behind shows as latency rather than hiding it. Resolves once every
 * request has an answer, an error or a timeout.
 *
 * Not autocannon: its `overallRate` is a per-connection budget per second, refilled on one timer
 * for every connection, so the requests of each second leave in a burst at its start.
 */
export function offerOpenLoad(options: OpenLoopOptions): Promise<RequestLog> {
  const { rate, durationMs, timeoutMs } = options;
  const total = Math.floor((rate * durationMs) / 1_000);
  const scheduledMs = new Float64Array(total);
  const latencyMs = new Float64Array(total);
  const status = new Int16Array(total);
  const lag = new Float64Array(total);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4_096 });
  const intervalMs = 1_000 / rate;
  let sent = 0;
  let settled = 0;
  const start = performance.now();

  return new Promise((resolve) => {
    const finish = (index: number, code: number): void => {
      latencyMs[index] = performance.now() - start - scheduledMs[index]!;
      status[index] = code;
      if (++settled === total) {
        agent.destroy();
        const sortedLag = lag.slice().sort();
        resolve({
          scheduledMs,
          latencyMs,
          status,
          sendLagP99Ms: sortedLag[Math.min(total - 1, Math.floor(total * 0.99))] ?? 0,
          sendLagMaxMs: sortedLag[total - 1] ?? 0,
        });
      }
    };
    const send = (index: number, now: number): void => {
      scheduledMs[index] = index * intervalMs;
      lag[index] = now - scheduledMs[index]!;
      let done = false;
      const settle = (code: number): void => {
        if (done) return;
        done = true;
        finish(index, code);
      };
      const request = http.get(options.url(index), { agent, timeout: timeoutMs }, (response) => {
        response.on('end', () => settle(response.statusCode ?? CONNECTION_ERROR));
        response.on('error', () => settle(CONNECTION_ERROR));
        response.resume();
      });
      request.on('timeout', () => {
        settle(TIMED_OUT);
        request.destroy();
      });
      request.on('error', () => settle(CONNECTION_ERROR));
    };
    const tick = (): void => {
      const now = performance.now() - start;
      while (sent < total && sent * intervalMs <= now) send(sent++, now);
      if (sent < total) setTimeout(tick, 1);
    };
    if (total === 0) resolve({ scheduledMs, latencyMs, status, sendLagP99Ms: 0, sendLagMaxMs: 0 });
    else tick();
  });
}
