import autocannon from 'autocannon';
import { SuiteChild } from './child-suite.js';
import { CALLS_PER_AMPLIFIED_REQUEST } from './http-endpoints.js';
import { runOrder } from './run-order.js';
import { summarize, zipWith, type Summary } from './stats.js';
import type { HttpServerPorts, ServerProbe } from '../suites/http-server.suite.js';

/**
 * The endpoints measured, all of one controller: bare and decorated; the decorated one again in the
 * app with Prometheus metrics on; `bare-again`, the same as `bare` (the A/A control: how far two
 * identical endpoints land apart in the same run); and the `-x100` endpoints, a hundred provider
 * calls per request, whose difference is the cost of one decorated call inside the serving process.
 */
export type HttpTarget = 'bare' | 'decorated' | 'decorated-metrics' | 'bare-again' | 'bare-x100' | 'decorated-x100' | 'decorated-metrics-x100';

export interface LoadRun {
  readonly target: HttpTarget;
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
  readonly rounds: number;
  readonly runs: LoadRun[];
  readonly bare: HttpSide;
  readonly decorated: HttpSide;
  /** decorated / bare requests per second, round by round. */
  readonly rpsRatio: Summary;
  /** decorated / bare server CPU per request, round by round. */
  readonly cpuRatio: Summary;
  /** The decorated endpoint of the app with Prometheus metrics on (issue 6). */
  readonly decoratedMetrics: HttpSide;
  readonly rpsRatioMetrics: Summary;
  readonly cpuRatioMetrics: Summary;
  /** The A/A control: `/bare-again` (identical to `/bare`) over `/bare`, round by round. */
  readonly bareAgain: HttpSide;
  readonly rpsRatioControl: Summary;
  readonly cpuRatioControl: Summary;
  /** Provider calls per request of the amplified endpoints. */
  readonly callsPerAmplifiedRequest: number;
  readonly bareX100: HttpSide;
  readonly decoratedX100: HttpSide;
  readonly decoratedMetricsX100: HttpSide;
  /** Server CPU of one decorated call over one plain call, in µs: (decorated-x100 - bare-x100) / 100, round by round. */
  readonly decoratedCallCpuUs: Summary;
  readonly decoratedMetricsCallCpuUs: Summary;
  /** bare / (bare + that call's cost): the requests/s ratio one decorated call per request allows, round by round. */
  readonly impliedRatio: Summary;
  readonly impliedRatioMetrics: Summary;
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

function side(list: readonly LoadRun[]): HttpSide {
  return {
    rps: summarize(list.map((one) => one.requestsPerSecond)),
    p99Ms: summarize(list.map((one) => one.p99Ms)),
    p50Ms: summarize(list.map((one) => one.p50Ms)),
    serverCpuUsPerRequest: summarize(list.map((one) => one.serverCpuUsPerRequest)),
  };
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
    for (const target of targets) await load(server, target, urls[target], connections, quick ? 1 : 2);
    const runs: LoadRun[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const target of runOrder(targets, round)) {
        runs.push(await load(server, target, urls[target], connections, durationSeconds));
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    for (const target of targets) await expectBody(urls[target]);
    const of = (target: HttpTarget): LoadRun[] => runs.filter((one) => one.target === target);
    const bare = of('bare');
    const ratios = (list: LoadRun[], field: 'requestsPerSecond' | 'serverCpuUsPerRequest'): Summary =>
      summarize(zipWith(list.map((one) => one[field]), bare.map((one) => one[field]), (d, b) => d / b));
    const decorated = of('decorated');
    const metrics = of('decorated-metrics');
    const control = of('bare-again');
    const cpu = (list: LoadRun[]): number[] => list.map((one) => one.serverCpuUsPerRequest);
    const callCost = (amplified: LoadRun[]): number[] => zipWith(cpu(amplified), cpu(of('bare-x100')), (d, b) => (d - b) / CALLS_PER_AMPLIFIED_REQUEST);
    const implied = (perCall: number[]): Summary => summarize(zipWith(cpu(bare), perCall, (b, call) => b / (b + call)));
    const decoratedCall = callCost(of('decorated-x100'));
    const metricsCall = callCost(of('decorated-metrics-x100'));
    return {
      connections,
      durationSeconds,
      rounds,
      runs,
      bare: side(bare),
      decorated: side(decorated),
      rpsRatio: ratios(decorated, 'requestsPerSecond'),
      cpuRatio: ratios(decorated, 'serverCpuUsPerRequest'),
      decoratedMetrics: side(metrics),
      rpsRatioMetrics: ratios(metrics, 'requestsPerSecond'),
      cpuRatioMetrics: ratios(metrics, 'serverCpuUsPerRequest'),
      bareAgain: side(control),
      rpsRatioControl: ratios(control, 'requestsPerSecond'),
      cpuRatioControl: ratios(control, 'serverCpuUsPerRequest'),
      callsPerAmplifiedRequest: CALLS_PER_AMPLIFIED_REQUEST,
      bareX100: side(of('bare-x100')),
      decoratedX100: side(of('decorated-x100')),
      decoratedMetricsX100: side(of('decorated-metrics-x100')),
      decoratedCallCpuUs: summarize(decoratedCall),
      decoratedMetricsCallCpuUs: summarize(metricsCall),
      impliedRatio: implied(decoratedCall),
      impliedRatioMetrics: implied(metricsCall),
    };
  } finally {
    server.send({ type: 'stop' });
    await server.result;
  }
}
