import autocannon from 'autocannon';
import { SuiteChild } from './child-suite.js';
import { runOrder } from './run-order.js';
import { summarizeHttp, type HttpResult, type HttpTarget, type LoadRun } from './http-summary.js';
import type { HttpServerPorts, ServerProbe } from '../suites/http-server.suite.js';

const BODY = '{"value":42}';

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One autocannon run; latencies recorded per response (autocannon's own histogram is whole ms). */
async function load(server: SuiteChild, target: HttpTarget, url: string, connections: number, duration: number): Promise<LoadRun> {
  const latencies: number[] = [];
  const before = await server.probe<ServerProbe>();
  const instance = autocannon({ url, connections, duration, expectBody: BODY });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === 200) latencies.push(responseTime);
  });
  const result = await instance;
  const after = await server.probe<ServerProbe>();
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0 || result.mismatches > 0) {
    throw new Error(
      `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${result.mismatches} wrong bodies`,
    );
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    target,
    requestsPerSecond: latencies.length / result.duration,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    requests: latencies.length,
    serverCpuUsPerRequest: (after.cpuUs - before.cpuUs) / latencies.length,
  };
}

async function expectBody(url: string): Promise<void> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body !== BODY) throw new Error(`${url}: answered ${response.status} ${body}, expected 200 ${BODY}`);
}

/**
 * Bare vs decorated endpoint of one Nest Express app, the decorated endpoint of the same app with
 * Prometheus metrics on (one child process serves both), the A/A control and the amplified pair, in
 * rounds of one run per endpoint whose order rotates so drift hits every side alike.
 */
export async function runHttp(quick: boolean): Promise<HttpResult> {
  const connections = 10;
  // Many short rounds rather than a few long runs: the round-by-round ratio is what is reported,
  // and more rounds make its median steadier when other work shares the machine. Twice the seven
  // endpoints: see runOrder.
  const durationSeconds = quick ? 1 : 2;
  const rounds = quick ? 7 : 14;
  const server = SuiteChild.start('http-server', [], { gc: false });
  const { port, metricsPort } = await server.ready<HttpServerPorts>();
  const urls: Record<HttpTarget, string> = {
    bare: `http://127.0.0.1:${port}/bare`,
    decorated: `http://127.0.0.1:${port}/decorated`,
    'decorated-metrics': `http://127.0.0.1:${metricsPort}/decorated`,
    'bare-again': `http://127.0.0.1:${port}/bare-again`,
    'bare-x100': `http://127.0.0.1:${port}/bare-x100`,
    'decorated-x100': `http://127.0.0.1:${port}/decorated-x100`,
    'decorated-metrics-x100': `http://127.0.0.1:${metricsPort}/decorated-x100`,
  };
  const targets = Object.keys(urls) as HttpTarget[];
  try {
    for (const target of targets) await expectBody(urls[target]);
    process.stderr.write(`  http: warm-up, then ${rounds} rounds of ${targets.length} x ${durationSeconds} s runs `);
    for (const target of targets) await load(server, target, urls[target], connections, durationSeconds);
    const runs: LoadRun[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const target of runOrder(targets, round)) {
        runs.push(await load(server, target, urls[target], connections, durationSeconds));
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    for (const target of targets) await expectBody(urls[target]);
    return summarizeHttp(runs, { connections, durationSeconds, rounds });
  } finally {
    server.send({ type: 'stop' });
    await server.result;
  }
}
