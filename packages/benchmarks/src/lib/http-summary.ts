import { CALLS_PER_AMPLIFIED_REQUEST } from './http-endpoints.js';
import { summarize, zipWith, type Summary } from './stats.js';

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
  /** The decorated endpoint of the app with Prometheus metrics on. */
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

function side(list: readonly LoadRun[]): HttpSide {
  return {
    rps: summarize(list.map((one) => one.requestsPerSecond)),
    p99Ms: summarize(list.map((one) => one.p99Ms)),
    p50Ms: summarize(list.map((one) => one.p50Ms)),
    serverCpuUsPerRequest: summarize(list.map((one) => one.serverCpuUsPerRequest)),
  };
}

/**
 * The HTTP suite's figures from its runs: one run per endpoint per round, rounds in order. Ratios
 * are taken round by round against `/bare` of the same round; one decorated call's server CPU is
 * (`-x100` decorated - `-x100` bare) / 100 of the same round, and the requests/s ratio it allows is
 * bare / (bare + that cost).
 */
export function summarizeHttp(runs: readonly LoadRun[], setup: { connections: number; durationSeconds: number; rounds: number }): HttpResult {
  const of = (target: HttpTarget): LoadRun[] => runs.filter((one) => one.target === target);
  const bare = of('bare');
  const ratios = (list: LoadRun[], field: 'requestsPerSecond' | 'serverCpuUsPerRequest'): Summary =>
    summarize(zipWith(list.map((one) => one[field]), bare.map((one) => one[field]), (d, b) => d / b));
  const decorated = of('decorated');
  const metrics = of('decorated-metrics');
  const control = of('bare-again');
  const cpu = (list: LoadRun[]): number[] => list.map((one) => one.serverCpuUsPerRequest);
  const bareX100 = of('bare-x100');
  const callCost = (amplified: LoadRun[]): number[] => zipWith(cpu(amplified), cpu(bareX100), (d, b) => (d - b) / CALLS_PER_AMPLIFIED_REQUEST);
  const implied = (perCall: number[]): Summary => summarize(zipWith(cpu(bare), perCall, (b, call) => b / (b + call)));
  const decoratedX100 = of('decorated-x100');
  const metricsX100 = of('decorated-metrics-x100');
  const decoratedCall = callCost(decoratedX100);
  const metricsCall = callCost(metricsX100);
  return {
    ...setup,
    runs: [...runs],
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
    bareX100: side(bareX100),
    decoratedX100: side(decoratedX100),
    decoratedMetricsX100: side(metricsX100),
    decoratedCallCpuUs: summarize(decoratedCall),
    decoratedMetricsCallCpuUs: summarize(metricsCall),
    impliedRatio: implied(decoratedCall),
    impliedRatioMetrics: implied(metricsCall),
  };
}
