/**
 * The cost of resilience around an outbound HTTP request: the same GET to a local server (its own
 * process, keep-alive, a small JSON answer) through bare `fetch`, `resilientFetch` with its
 * defaults (total and per-attempt timeouts, retry, a per-origin breaker, the deadline header), and
 * `fetch` wrapped in cockatiel's retry + breaker + timeout (the same policies by hand). Two shapes:
 * one request at a time (latency per request, what a handler waiting on a dependency sees) and 32
 * in flight (requests per second). The clients take turns round by round, so drift in the machine's
 * load hits all of them alike; every answer is checked and its body read.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resilientFetch } from '@bulwark/http';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import type { SuiteParams } from '../lib/suite-protocol.js';

export interface HttpClientRow {
  readonly client: string;
  /** One request at a time: mean and percentiles of the per-request time (µs), over every round. */
  readonly sequentialMeanUs: number;
  readonly sequentialP50Us: number;
  readonly sequentialP99Us: number;
  /** Median over rounds of requests per second with `concurrency` in flight. */
  readonly concurrentRps: number;
}

export interface HttpClientResult {
  readonly node: string;
  readonly rounds: number;
  readonly requestsPerRound: number;
  readonly concurrency: number;
  readonly concurrentWindowMs: number;
  readonly rows: HttpClientRow[];
}

/** One request, its body read: the status and the body. */
type Client = (url: string) => Promise<[number, string]>;

const read = async (response: Response): Promise<[number, string]> => [response.status, await response.text()];

function clients(): Record<string, Client> {
  const bare: Client = (url) => fetch(url).then(read);
  const bulwark = resilientFetch({ name: 'bench' });
  const policy = wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 10_000 }) }),
    circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
    timeout(3_000, TimeoutStrategy.Aggressive),
  );
  // cockatiel aborts its signal when the call ends: the body is read inside the policy.
  const cockatiel: Client = (url) => policy.execute(({ signal }) => fetch(url, { signal }).then(read));
  return { fetch: bare, resilientFetch: (url) => bulwark(url).then(read), 'cockatiel + fetch': cockatiel };
}

async function once(client: Client, url: string): Promise<void> {
  const [status, body] = await client(url);
  if (status !== 200 || body !== '{"ok":true}') throw new Error(`unexpected answer ${status} ${body}`);
}

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('../lib/http-client-server.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve({ child, url: `http://127.0.0.1:${message.port}/item` }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(params: SuiteParams): Promise<HttpClientResult> {
  const rounds = params.quick ? 3 : 9;
  const requestsPerRound = params.quick ? 300 : 2_000;
  const concurrency = 32;
  const windowMs = params.quick ? 500 : 2_000;
  const { child, url } = await startServer();
  try {
    const all = clients();
    const names = Object.keys(all);
    // Warm-up: connections opened, code paths compiled.
    for (const name of names) for (let i = 0; i < 500; i++) await once(all[name]!, url);
    const samples = new Map(names.map((name) => [name, new Float64Array(rounds * requestsPerRound)]));
    const rps = new Map<string, number[]>(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // A different order each round: no client is always first after the other's garbage.
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const client = all[name]!;
        const times = samples.get(name)!;
        for (let i = 0; i < requestsPerRound; i++) {
          const started = process.hrtime.bigint();
          await once(client, url);
          times[round * requestsPerRound + i] = Number(process.hrtime.bigint() - started) / 1_000;
        }
      }
      for (const name of order) {
        const client = all[name]!;
        let done = 0;
        const deadline = performance.now() + windowMs;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() < deadline) {
              await once(client, url);
              done++;
            }
          }),
        );
        rps.get(name)!.push(done / ((performance.now() - started) / 1_000));
      }
    }
    const rows = names.map((name): HttpClientRow => {
      const times = samples.get(name)!;
      const mean = times.reduce((sum, value) => sum + value, 0) / times.length;
      const sorted = Float64Array.from(times).sort();
      const perRound = [...rps.get(name)!].sort((a, b) => a - b);
      return {
        client: name,
        sequentialMeanUs: mean,
        sequentialP50Us: percentile(sorted, 50),
        sequentialP99Us: percentile(sorted, 99),
        concurrentRps: perRound[Math.floor(perRound.length / 2)]!,
      };
    });
    return { node: process.version, rounds, requestsPerRound, concurrency, concurrentWindowMs: windowMs, rows };
  } finally {
    child.kill();
  }
}
