import autocannon from 'autocannon';
import { SuiteChild } from './child-suite.js';
import { summarize, zipWith, type Summary } from './stats.js';
import type { ServerProbe } from '../suites/http-server.suite.js';

export interface LoadRun {
  readonly path: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** The server process's CPU time (user + system) per answered request. */
  readonly serverCpuUsPerRequest: number;
}

export interface HttpResult {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly pairs: number;
  readonly runs: LoadRun[];
  readonly bare: HttpSide;
  readonly decorated: HttpSide;
  /** decorated / bare requests per second, pair by pair. */
  readonly rpsRatio: Summary;
  /** decorated / bare server CPU per request, pair by pair. */
  readonly cpuRatio: Summary;
}

export interface HttpSide {
  readonly rps: Summary;
  readonly p99Ms: Summary;
  readonly p50Ms: Summary;
  readonly serverCpuUsPerRequest: Summary;
}

const BODY = '{"value":42}';

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One autocannon run; latencies recorded per response (autocannon's own histogram is whole ms). */
async function load(server: SuiteChild, base: string, path: string, connections: number, duration: number): Promise<LoadRun> {
  const latencies: number[] = [];
  const before = await server.probe<ServerProbe>();
  const instance = autocannon({ url: `${base}${path}`, connections, duration, expectBody: BODY });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === 200) latencies.push(responseTime);
  });
  const result = await instance;
  const after = await server.probe<ServerProbe>();
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0 || result.mismatches > 0) {
    throw new Error(
      `${path}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${result.mismatches} wrong bodies`,
    );
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    path,
    requestsPerSecond: latencies.length / result.duration,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    requests: latencies.length,
    serverCpuUsPerRequest: (after.cpuUs - before.cpuUs) / latencies.length,
  };
}

async function expectBody(base: string, path: string): Promise<void> {
  const response = await fetch(`${base}${path}`);
  const body = await response.text();
  if (response.status !== 200 || body !== BODY) throw new Error(`${path}: answered ${response.status} ${body}, expected 200 ${BODY}`);
}

/**
 * Bare vs decorated endpoint of one Nest Express app (one child process), alternating runs
 * (bare, decorated, then decorated, bare, ...) so drift hits both sides alike.
 */
export async function runHttp(quick: boolean): Promise<HttpResult> {
  const connections = 10;
  // Many short pairs rather than a few long runs: the pair-by-pair ratio is what is reported,
  // and more pairs make its median steadier when other work shares the machine.
  const durationSeconds = quick ? 1 : 2;
  const pairs = quick ? 2 : 8;
  const server = SuiteChild.start('http-server', [], { gc: false });
  const { port } = await server.ready<{ port: number }>();
  const base = `http://127.0.0.1:${port}`;
  try {
    await expectBody(base, '/bare');
    await expectBody(base, '/decorated');
    process.stderr.write(`  http: warm-up, then ${pairs} pairs of ${durationSeconds} s runs `);
    await load(server, base, '/bare', connections, quick ? 1 : 2);
    await load(server, base, '/decorated', connections, quick ? 1 : 2);
    const runs: LoadRun[] = [];
    for (let pair = 0; pair < pairs; pair++) {
      const order = pair % 2 === 0 ? ['/bare', '/decorated'] : ['/decorated', '/bare'];
      for (const path of order) runs.push(await load(server, base, path, connections, durationSeconds));
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    await expectBody(base, '/decorated');
    const bare = runs.filter((one) => one.path === '/bare');
    const decorated = runs.filter((one) => one.path === '/decorated');
    const side = (list: LoadRun[]): HttpSide => ({
      rps: summarize(list.map((one) => one.requestsPerSecond)),
      p99Ms: summarize(list.map((one) => one.p99Ms)),
      p50Ms: summarize(list.map((one) => one.p50Ms)),
      serverCpuUsPerRequest: summarize(list.map((one) => one.serverCpuUsPerRequest)),
    });
    return {
      connections,
      durationSeconds,
      pairs,
      runs,
      bare: side(bare),
      decorated: side(decorated),
      rpsRatio: summarize(zipWith(decorated.map((one) => one.requestsPerSecond), bare.map((one) => one.requestsPerSecond), (d, b) => d / b)),
      cpuRatio: summarize(
        zipWith(decorated.map((one) => one.serverCpuUsPerRequest), bare.map((one) => one.serverCpuUsPerRequest), (d, b) => d / b),
      ),
    };
  } finally {
    server.send({ type: 'stop' });
    await server.result;
  }
}
