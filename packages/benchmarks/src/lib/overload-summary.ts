import { fixed, int, table } from './format.js';
import { CONNECTION_ERROR, TIMED_OUT } from './open-loop.js';
import { quantile } from './stats.js';
import { OVERLOAD_VARIANTS, type OverloadVariant } from './overload-variant.js';
import type { TargetResult } from './targets.js';
import type { WorkerPoolOptions } from './worker-pool.js';

/** The part of a run's log the summary reads (`RequestLog` has it). */
export interface RequestOutcomes {
  readonly scheduledMs: ArrayLike<number>;
  readonly latencyMs: ArrayLike<number>;
  readonly status: ArrayLike<number>;
}

/** What the requests due in the measured window came to. */
export interface WindowFigures {
  /** Requests due in the window. */
  readonly offered: number;
  /** 2xx answered within the SLO, per second of the window. */
  readonly goodputRps: number;
  /** Every 2xx, per second of the window. */
  readonly okRps: number;
  /** Latency of the 2xx answers (admitted requests), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** 503 answers (a full bulkhead). */
  readonly rejected: number;
  /** Other non-2xx answers, client timeouts and connection errors. */
  readonly otherNon2xx: number;
  readonly timeouts: number;
  readonly connectionErrors: number;
}

/**
 * Figures of the requests due in `[fromMs, toMs)` of a run. Goodput counts 2xx answers within
 * `sloMs` of when they were due; latencies are those of every 2xx, late or not.
 */
export function summarizeWindow(outcomes: RequestOutcomes, fromMs: number, toMs: number, sloMs: number): WindowFigures {
  const okLatencies: number[] = [];
  let offered = 0;
  let good = 0;
  let rejected = 0;
  let otherNon2xx = 0;
  let timeouts = 0;
  let connectionErrors = 0;
  for (let index = 0; index < outcomes.scheduledMs.length; index++) {
    const due = outcomes.scheduledMs[index]!;
    if (due < fromMs || due >= toMs) continue;
    offered++;
    const status = outcomes.status[index]!;
    const latency = outcomes.latencyMs[index]!;
    if (status >= 200 && status < 300) {
      okLatencies.push(latency);
      if (latency <= sloMs) good++;
    } else if (status === 503) rejected++;
    else if (status === TIMED_OUT) timeouts++;
    else if (status === CONNECTION_ERROR) connectionErrors++;
    else otherNon2xx++;
  }
  const seconds = (toMs - fromMs) / 1_000;
  okLatencies.sort((a, b) => a - b);
  return {
    offered,
    goodputRps: good / seconds,
    okRps: okLatencies.length / seconds,
    p50Ms: quantile(okLatencies, 0.5),
    p99Ms: quantile(okLatencies, 0.99),
    rejected,
    otherNon2xx,
    timeouts,
    connectionErrors,
  };
}

/** Errors of a window: every request due in it that did not get a 2xx. */
export function errorCount(figures: WindowFigures): number {
  return figures.rejected + figures.otherNon2xx + figures.timeouts + figures.connectionErrors;
}

/** One measured point: a variant at an offered load. */
export interface OverloadPoint extends WindowFigures {
  readonly variant: OverloadVariant;
  /** The static bulkhead's `maxConcurrent`. */
  readonly maxConcurrent?: number;
  /** Offered load as a multiple of the downstream's capacity. */
  readonly load: number;
  readonly offeredRps: number;
  /** The adaptive bulkhead's limit when the run ended. */
  readonly limitAtEnd?: number;
  /** Storefront CPU per offered request, µs. */
  readonly appCpuUsPerRequest: number;
  /** How late the load generator sent requests, ms (it kept up when small against the service time). */
  readonly sendLagP99Ms: number;
  /** Connections the kernel dropped on full accept queues during the run, machine-wide (Linux only). */
  readonly listenOverflows?: number;
}

export interface OverloadResult {
  readonly node: string;
  readonly cores: number;
  readonly quick: boolean;
  readonly pool: WorkerPoolOptions;
  readonly capacityRps: number;
  readonly sloMs: number;
  readonly clientTimeoutMs: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly loads: readonly number[];
  /** Static bulkheads at `sweepLoad`, one per `maxConcurrent`. */
  readonly sweepLoad: number;
  readonly sweep: readonly OverloadPoint[];
  /** The `maxConcurrent` of the sweep's best goodput: the static bulkhead measured at every load. */
  readonly bestMaxConcurrent: number;
  readonly points: readonly OverloadPoint[];
  /** p99 of the no-limit storefront at the lowest load. */
  readonly unloadedP99Ms: number;
  readonly targets: readonly TargetResult[];
  readonly durationSeconds: number;
}

/** The sweep point with the best goodput (the smaller `maxConcurrent` on a tie). */
export function bestStatic(sweep: readonly OverloadPoint[]): OverloadPoint {
  if (sweep.length === 0) throw new Error('empty sweep');
  return sweep.reduce((best, point) => (point.goodputRps > best.goodputRps ? point : best));
}

export function pointAt(points: readonly OverloadPoint[], variant: OverloadVariant, load: number): OverloadPoint | undefined {
  return points.find((point) => point.variant === variant && point.load === load);
}

/** The targets at `load` (2x): goodput against no limit and the best static, p99 against the unloaded p99. */
export function evaluateOverloadTargets(points: readonly OverloadPoint[], load: number, unloadedP99Ms: number): TargetResult[] {
  const adaptive = pointAt(points, 'adaptive', load);
  const none = pointAt(points, 'no-limit', load);
  const fixedOne = pointAt(points, 'static', load);
  const at = `at ${load}x capacity`;
  const ratio = (a: number, b: number): string => (b > 0 ? `${fixed(a / b, 2)}×` : a > 0 ? '∞×' : '—');
  const missing = (target: string): TargetResult => ({ target, figure: 'not measured', verdict: 'not measured' });
  const results: TargetResult[] = [];
  const vsNone = `Adaptive goodput ≥ 1.5× no limit ${at}`;
  if (adaptive === undefined || none === undefined) results.push(missing(vsNone));
  else {
    results.push({
      target: vsNone,
      figure: `${int(adaptive.goodputRps)} vs ${int(none.goodputRps)} req/s (${ratio(adaptive.goodputRps, none.goodputRps)})`,
      verdict: adaptive.goodputRps >= 1.5 * none.goodputRps && adaptive.goodputRps > 0 ? 'met' : 'missed',
    });
  }
  const vsStatic = `Adaptive goodput ≥ 0.9× the best static bulkhead ${at}`;
  if (adaptive === undefined || fixedOne === undefined) results.push(missing(vsStatic));
  else {
    results.push({
      target: vsStatic,
      figure: `${int(adaptive.goodputRps)} vs ${int(fixedOne.goodputRps)} req/s, maxConcurrent ${fixedOne.maxConcurrent} (${ratio(adaptive.goodputRps, fixedOne.goodputRps)})`,
      verdict: adaptive.goodputRps >= 0.9 * fixedOne.goodputRps ? 'met' : 'missed',
    });
  }
  const p99 = `Adaptive p99 of admitted requests ≤ 2× the unloaded p99 ${at}`;
  if (adaptive === undefined || !Number.isFinite(unloadedP99Ms)) results.push(missing(p99));
  else {
    results.push({
      target: p99,
      figure: `${fixed(adaptive.p99Ms, 1)} ms vs 2 × ${fixed(unloadedP99Ms, 1)} = ${fixed(2 * unloadedP99Ms, 1)} ms (${fixed(adaptive.p99Ms / unloadedP99Ms, 3)}× the unloaded p99)`,
      verdict: adaptive.p99Ms <= 2 * unloadedP99Ms ? 'met' : 'missed',
    });
  }
  return results;
}

const VARIANT_LABELS: Record<OverloadVariant, string> = {
  'no-limit': 'no limit',
  static: 'static bulkhead',
  adaptive: 'adaptive bulkhead (untuned)',
};

export function variantLabel(point: Pick<OverloadPoint, 'variant' | 'maxConcurrent'>): string {
  return point.variant === 'static' ? `static bulkhead, maxConcurrent ${point.maxConcurrent}` : VARIANT_LABELS[point.variant];
}

function pointRow(point: OverloadPoint, withLoad: boolean): string[] {
  const failures = point.timeouts + point.otherNon2xx + point.connectionErrors;
  return [
    ...(withLoad ? [`${point.load}x (${int(point.offeredRps)} req/s)`] : []),
    variantLabel(point),
    int(point.goodputRps),
    int(point.okRps),
    Number.isFinite(point.p50Ms) ? fixed(point.p50Ms, 1) : '—',
    Number.isFinite(point.p99Ms) ? fixed(point.p99Ms, 1) : '—',
    `${fixed((100 * errorCount(point)) / Math.max(1, point.offered), 1)} %`,
    `${int(point.rejected)} / ${int(failures)}`,
    point.limitAtEnd === undefined ? '' : String(point.limitAtEnd),
  ];
}

const POINT_HEADER = ['goodput req/s (2xx ≤ SLO)', '2xx req/s', 'p50 ms (2xx)', 'p99 ms (2xx)', 'errors', '503 / timeouts + other', 'adaptive limit at end'];

/** The markdown tables and targets of a run (for the README section and results/overload.md). */
export function renderOverloadTables(result: OverloadResult): string {
  const loads = [...result.loads].sort((a, b) => a - b);
  const rank = (point: OverloadPoint): number => OVERLOAD_VARIANTS.indexOf(point.variant);
  const rows = loads.flatMap((load) =>
    result.points
      .filter((point) => point.load === load)
      .sort((a, b) => rank(a) - rank(b))
      .map((point) => pointRow(point, true)),
  );
  const verdict = (one: TargetResult): string => (one.verdict === 'met' ? '**MET**' : one.verdict === 'missed' ? '**MISSED**' : one.verdict);
  return [
    table(['offered load', 'variant', ...POINT_HEADER], rows),
    '',
    `Static sweep at ${result.sweepLoad}x (${int(result.sweepLoad * result.capacityRps)} req/s offered); the best goodput, maxConcurrent ${result.bestMaxConcurrent}, is the static bulkhead above:`,
    '',
    table(['variant', ...POINT_HEADER.slice(0, -1)], result.sweep.map((point) => pointRow(point, false).slice(0, -1))),
    '',
    `Unloaded p99 (no limit at ${loads[0]}x): ${fixed(result.unloadedP99Ms, 1)} ms.`,
    '',
    table(['target', 'figure', 'verdict'], result.targets.map((one) => [one.target, one.figure, verdict(one)])),
  ].join('\n');
}
