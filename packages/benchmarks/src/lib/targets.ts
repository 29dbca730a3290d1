import type { HygieneResult } from '../suites/hygiene.suite.js';
import type { InflightResult } from '../suites/memory-inflight.suite.js';
import type { IdleCpuResult } from '../suites/idle-cpu.suite.js';
import { overheadRatio, row, type CallsAnalysis } from './analysis.js';
import { fixed, fixedRange, int, ratioRange } from './format.js';
import type { HttpResult } from './http-summary.js';
import { summarize, zipWith, type Summary } from './stats.js';

export type Verdict = 'met' | 'missed' | 'not measured';

export interface TargetResult {
  readonly target: string;
  readonly figure: string;
  readonly verdict: Verdict;
}

export interface IdleSummary {
  readonly mode: string;
  readonly cpuUs: Summary;
  readonly runs: number;
  readonly windowMs: number;
  readonly liveTimers: number;
  readonly liveTimersInclUnref: number;
}

export function summarizeIdle(results: readonly IdleCpuResult[]): IdleSummary[] {
  const modes = [...new Set(results.map((one) => one.mode))];
  return modes.map((mode) => {
    const runs = results.filter((one) => one.mode === mode);
    return {
      mode,
      cpuUs: summarize(runs.map((one) => one.cpuUs)),
      runs: runs.length,
      windowMs: runs[0]!.windowMs,
      liveTimers: Math.max(...runs.map((one) => one.liveTimers)),
      liveTimersInclUnref: Math.max(...runs.map((one) => one.liveTimersInclUnref)),
    };
  });
}

export interface TargetInputs {
  readonly calls?: CallsAnalysis;
  readonly hygiene?: HygieneResult;
  readonly inflight?: readonly InflightResult[];
  readonly idle?: readonly IdleSummary[];
  readonly http?: HttpResult;
}

const verdict = (ok: boolean): Verdict => (ok ? 'met' : 'missed');
const notMeasured = (target: string): TargetResult => ({ target, figure: 'suite not run', verdict: 'not measured' });

function callTargets(calls: CallsAnalysis): TargetResult[] {
  const decorated = row(calls, 'bulwark.decorated').alsOn!;
  const results: TargetResult[] = [];
  const allIn = calls.decoratedAllIn!;
  results.push({
    target: 'Decorated stack overhead ≤ 1,000 ns per call',
    figure:
      `${int(decorated.overhead.median)} ns [${int(decorated.overhead.p25)}–${int(decorated.overhead.p75)}] over the bare call ` +
      `(both with AsyncLocalStorage on); ${int(allIn.overhead.median)} ns over a bare call in an isolate without it`,
    verdict: verdict(decorated.overhead.median <= 1_000),
  });
  const metricsOn = calls.rows.find((one) => one.id === 'bulwark.decorated-metrics')?.alsOn;
  if (metricsOn !== undefined) {
    results.push({
      target: 'Same, with Prometheus metrics on ≤ 1,000 ns',
      figure: `${int(metricsOn.overhead.median)} ns [${int(metricsOn.overhead.p25)}–${int(metricsOn.overhead.p75)}] over the bare call`,
      verdict: verdict(metricsOn.overhead.median <= 1_000),
    });
  }
  const shared = calls.rows.find((one) => one.id === 'bulwark.decorated-redis')?.alsOn;
  if (shared === undefined) {
    results.push({ target: 'Same, with the Redis store on ≤ 1.5× the local-only stack', figure: 'no Redis here (set BULWARK_REDIS_URL or install redis-server)', verdict: 'not measured' });
  } else {
    const ratio = overheadRatio(shared.overheadSeries, decorated.overheadSeries);
    results.push({
      target: 'Same, with the Redis store on ≤ 1.5× the local-only stack',
      figure: `${int(shared.overhead.median)} ns [${int(shared.overhead.p25)}–${int(shared.overhead.p75)}] vs ${int(decorated.overhead.median)} ns local-only: ${ratioRange(ratio.ratio)}`,
      verdict: verdict(ratio.ratio.median <= 1.5),
    });
  }
  const stacks = metricsOn === undefined ? [['Decorated stack', decorated] as const] : [['Decorated stack', decorated] as const, ['Same, with metrics on,', metricsOn] as const];
  for (const [id, factor, name] of [
    ['cockatiel.wrap', 20, 'cockatiel wrap(retry, breaker, timeout)'],
    ['opossum.breaker', 2, 'opossum default breaker'],
  ] as const) {
    const rival = row(calls, id);
    for (const [label, stack] of stacks) {
      const natural = overheadRatio(rival.alsOff!.overheadSeries, stack.overheadSeries);
      const sameIsolate = overheadRatio(rival.alsOn!.overheadSeries, stack.overheadSeries);
      results.push({
        target: `${label} ≥ ${factor}× cheaper than ${name}`,
        figure:
          `${fixed(natural.ratio.median, 1)}× (${name}: ${int(rival.alsOff!.overhead.median)} ns without AsyncLocalStorage, ` +
          `vs ${int(stack.overhead.median)} ns); ${fixed(sameIsolate.ratio.median, 1)}× when both run with AsyncLocalStorage on`,
        verdict: verdict(natural.ratio.median >= factor),
      });
    }
  }
  const ours = row(calls, 'bulwark.breaker');
  const theirs = row(calls, 'cockatiel.breaker');
  const breakerRatio = overheadRatio(ours.alsOff!.overheadSeries, theirs.alsOff!.overheadSeries);
  const breakerRatioOn = overheadRatio(ours.alsOn!.overheadSeries, theirs.alsOn!.overheadSeries);
  results.push({
    target: 'Breaker alone: overhead ≤ cockatiel breaker',
    figure:
      `Bulwark ${int(ours.alsOff!.overhead.median)} ns vs cockatiel ${int(theirs.alsOff!.overhead.median)} ns ` +
      `(round-by-round ratio ${ratioRange(breakerRatio.ratio)}); with AsyncLocalStorage on ` +
      `${int(ours.alsOn!.overhead.median)} vs ${int(theirs.alsOn!.overhead.median)} ns (${fixed(breakerRatioOn.ratio.median)}×)`,
    verdict: verdict(breakerRatio.ratio.median <= 1),
  });
  const open = row(calls, 'bulwark.open').alsOff!;
  const parts: string[] = [];
  let cheaper = true;
  for (const id of ['cockatiel.open', 'opossum.open']) {
    const rival = row(calls, id).alsOff!;
    const ratio = summarize(zipWith(open.nsSeries, rival.nsSeries, (a, b) => a / b));
    cheaper &&= ratio.median < 1;
    parts.push(`${id.split('.')[0]} ${int(rival.ns.median)} ns (Bulwark/${id.split('.')[0]} ${fixed(ratio.median)}×)`);
  }
  results.push({
    target: 'Open-breaker fast fail cheaper than both anchors',
    figure: `Bulwark ${int(open.ns.median)} ns per rejected call vs ${parts.join(', ')}`,
    verdict: verdict(cheaper),
  });
  return results;
}

function hygieneTargets(hygiene: HygieneResult, inflight: readonly InflightResult[] | undefined): TargetResult[] {
  // The timed calls: a breaker alone (policy or decorated method) arms no timer by design.
  const ours = hygiene.perCall.filter((one) => one.id.startsWith('bulwark.') && one.id !== 'bulwark.breaker' && one.id !== 'bulwark.decorated-breaker');
  const timersPerCall = Math.max(...ours.map((one) => one.setTimeoutPerCall));
  const pendingTimers = (inflight ?? [])
    .filter((one) => one.target !== 'cockatiel-timeout')
    .map((one) => `${one.target} ${int(one.measured.timersWhilePendingInclUnref)} live timer(s) for ${int(one.count)} pending calls`);
  const timersOk =
    timersPerCall <= 1 &&
    (inflight ?? []).filter((one) => one.target !== 'cockatiel-timeout').every((one) => one.measured.timersWhilePendingInclUnref <= one.count);
  const controllers = Math.max(...ours.map((one) => one.abortControllersPerCall));
  const stack = hygiene.fastFail.find((one) => one.id === 'bulwark.open');
  return [
    {
      target: 'At most one timer per timed call (or a shared timer)',
      figure: `setTimeout per successful call ≤ ${fixed(timersPerCall, 4)} (${ours.map((one) => one.id).join(', ')}); ${pendingTimers.join('; ') || 'in-flight suite not run'}`,
      verdict: verdict(timersOk),
    },
    {
      target: 'No AbortController on the success path',
      figure: `${fixed(controllers, 4)} AbortController per successful call (max over ${ours.map((one) => one.id).join(', ')})`,
      verdict: verdict(controllers === 0),
    },
    {
      target: 'No stack capture per rejected call unless asked',
      figure: `${stack?.framesPerRejection ?? '?'} stack frames on a CircuitOpenError (captureStackTrace: true gives ${
        hygiene.fastFail.find((one) => one.id === 'bulwark.open-stack')?.framesPerRejection ?? '?'
      })`,
      verdict: verdict(stack !== undefined && !stack.hasStack),
    },
  ];
}

function idleTarget(idle: readonly IdleSummary[]): TargetResult {
  const empty = idle.find((one) => one.mode === 'empty');
  const ours = idle.find((one) => one.mode === 'bulwark');
  if (empty === undefined || ours === undefined) return notMeasured('Idle CPU with 10,000 breakers indistinguishable from an idle process');
  // Indistinguishable: within the spread of the empty process's own runs, or under 0.1% of a core.
  const tolerance = Math.max(empty.cpuUs.max - empty.cpuUs.min, ours.windowMs); // µs; windowMs µs = 0.1% of the window
  const difference = ours.cpuUs.median - empty.cpuUs.median;
  return {
    target: 'Idle CPU with 10,000 breakers indistinguishable from an idle process',
    figure:
      `${int(ours.cpuUs.median)} µs vs ${int(empty.cpuUs.median)} µs CPU over ${int(ours.windowMs)} ms idle ` +
      `(difference ${int(difference)} µs, tolerance ${int(tolerance)} µs = empty-run spread or 0.1% of a core; ` +
      `${ours.liveTimersInclUnref - empty.liveTimersInclUnref} extra live timers, unref'd included)`,
    verdict: verdict(difference <= tolerance),
  };
}

function httpTargets(http: HttpResult): TargetResult[] {
  const results: TargetResult[] = [];
  const control = `A/A control in the same run: ${ratioRange(http.rpsRatioControl, 3)} req/s, ${ratioRange(http.cpuRatioControl, 3)} CPU`;
  for (const [label, decorated, rpsRatio, cpuRatio, callCpu, implied] of [
    ['Decorated HTTP endpoint', http.decorated, http.rpsRatio, http.cpuRatio, http.decoratedCallCpuUs, http.impliedRatio],
    ['Same, with Prometheus metrics on,', http.decoratedMetrics, http.rpsRatioMetrics, http.cpuRatioMetrics, http.decoratedMetricsCallCpuUs, http.impliedRatioMetrics],
  ] as const) {
    const extraCpu = decorated.serverCpuUsPerRequest.median - http.bare.serverCpuUsPerRequest.median;
    results.push(
      {
        target: `${label} within 3% of bare requests/s`,
        figure:
          `${ratioRange(rpsRatio, 3)} (decorated ${int(decorated.rps.median)} vs bare ${int(http.bare.rps.median)} req/s; ` +
          `p99 ${fixed(decorated.p99Ms.median)} vs ${fixed(http.bare.p99Ms.median)} ms; ${control})`,
        verdict: verdict(rpsRatio.median >= 0.97),
      },
      {
        target: `${label} by server CPU per request (≤ 3% more; steadier under outside load)`,
        figure:
          `${ratioRange(cpuRatio, 3)} (decorated ${fixed(decorated.serverCpuUsPerRequest.median, 1)} vs bare ` +
          `${fixed(http.bare.serverCpuUsPerRequest.median, 1)} µs per request, ${extraCpu >= 0 ? '+' : ''}${fixed(extraCpu, 1)} µs)`,
        verdict: verdict(cpuRatio.median <= 1.03),
      },
      {
        target: `${label.replace(/,$/, '')}: the decorated call's own cost in the server (${http.callsPerAmplifiedRequest} per request) within 3% of a bare request`,
        figure:
          `${fixedRange(callCpu, 2, ' µs')} per call vs ${fixed(http.bare.serverCpuUsPerRequest.median, 1)} µs ` +
          `per bare request: ${ratioRange(implied, 3)} of bare requests/s`,
        verdict: verdict(implied.median >= 0.97),
      },
    );
  }
  return results;
}

export function evaluateTargets(inputs: TargetInputs): TargetResult[] {
  const results: TargetResult[] = [];
  if (inputs.calls === undefined) results.push(notMeasured('Per-call targets'));
  else results.push(...callTargets(inputs.calls));
  if (inputs.hygiene === undefined) results.push(notMeasured('Timers, AbortControllers, stacks'));
  else results.push(...hygieneTargets(inputs.hygiene, inputs.inflight));
  results.push(inputs.idle === undefined ? notMeasured('Idle CPU') : idleTarget(inputs.idle));
  if (inputs.http === undefined) results.push(notMeasured('HTTP within 3%'));
  else results.push(...httpTargets(inputs.http));
  return results;
}
