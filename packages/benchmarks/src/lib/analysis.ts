import type { CallsResult, CaseSeries, ConditionResult } from '../suites/calls.suite.js';
import type { Condition } from '../cases/all.cases.js';
import { CASES, type CaseInfo } from './catalog.js';
import { summarize, zipWith, type Summary } from './stats.js';

/** One case in one AsyncLocalStorage condition, every figure round by round against its own bare batch. */
export interface ConditionFigures {
  readonly batch: number;
  readonly ns: Summary;
  /** ns per call minus the bare call timed next to it. */
  readonly overhead: Summary;
  /** ns per call divided by the bare call timed next to it. */
  readonly ratio: Summary;
  readonly nsSeries: number[];
  readonly overheadSeries: number[];
}

export interface CallRow extends CaseInfo {
  readonly alsOff?: ConditionFigures;
  readonly alsOn?: ConditionFigures;
}

export interface BareFigures {
  readonly batch: number;
  readonly ns: Summary;
  /** Per round: the median of that round's bare batches. */
  readonly series: number[];
}

export interface CallsAnalysis {
  readonly rounds: number;
  readonly rows: CallRow[];
  readonly bare: Record<Condition, BareFigures>;
  /**
   * What turning AsyncLocalStorage on costs every awaited async call of the process (not only
   * resilient ones): bare call with it on minus off, round by round across the two isolates.
   */
  readonly alsTax: { readonly ns: Summary; readonly ratio: Summary };
  /** The decorated stack against the bare call with AsyncLocalStorage off: its cost including the tax on itself. */
  readonly decoratedAllIn: { readonly overhead: Summary; readonly ratio: Summary } | undefined;
}

function figures(series: CaseSeries): ConditionFigures {
  const overheadSeries = zipWith(series.ns, series.bareNs, (ns, bare) => ns - bare);
  return {
    batch: series.batch,
    ns: summarize(series.ns),
    overhead: summarize(overheadSeries),
    ratio: summarize(zipWith(series.ns, series.bareNs, (ns, bare) => ns / bare)),
    nsSeries: series.ns,
    overheadSeries,
  };
}

function bareFigures(result: ConditionResult, rounds: number): BareFigures {
  const series: number[] = [];
  for (let round = 0; round < rounds; round++) {
    series.push(summarize(result.cases.map((one) => one.bareNs[round]!)).median);
  }
  return { batch: result.bareBatch, ns: summarize(series), series };
}

export function analyzeCalls(calls: CallsResult): CallsAnalysis {
  const byCondition = (condition: Condition): ConditionResult => {
    const found = calls.conditions.find((one) => one.condition === condition);
    if (found === undefined) throw new Error(`calls suite returned no ${condition} results`);
    return found;
  };
  const off = byCondition('als-off');
  const on = byCondition('als-on');
  const known = new Set(CASES.map((info) => info.id));
  for (const series of [...off.cases, ...on.cases]) {
    if (!known.has(series.id)) throw new Error(`case ${series.id} is missing from the catalog`);
  }
  const rows: CallRow[] = CASES.map((info) => {
    const offSeries = off.cases.find((one) => one.id === info.id);
    const onSeries = on.cases.find((one) => one.id === info.id);
    if (info.unavailable === undefined && onSeries === undefined) {
      if (info.optional !== undefined) return { ...info, unavailable: info.optional };
      throw new Error(`case ${info.id} did not run`);
    }
    return {
      ...info,
      ...(offSeries === undefined ? {} : { alsOff: figures(offSeries) }),
      ...(onSeries === undefined ? {} : { alsOn: figures(onSeries) }),
    };
  });
  const bare = { 'als-off': bareFigures(off, calls.rounds), 'als-on': bareFigures(on, calls.rounds) };
  const decorated = on.cases.find((one) => one.id === 'bulwark.decorated');
  return {
    rounds: calls.rounds,
    rows,
    bare,
    alsTax: {
      ns: summarize(zipWith(bare['als-on'].series, bare['als-off'].series, (a, b) => a - b)),
      ratio: summarize(zipWith(bare['als-on'].series, bare['als-off'].series, (a, b) => a / b)),
    },
    decoratedAllIn:
      decorated === undefined
        ? undefined
        : {
            overhead: summarize(zipWith(decorated.ns, bare['als-off'].series, (a, b) => a - b)),
            ratio: summarize(zipWith(decorated.ns, bare['als-off'].series, (a, b) => a / b)),
          },
  };
}

export function row(analysis: CallsAnalysis, id: string): CallRow {
  const found = analysis.rows.find((one) => one.id === id);
  if (found === undefined) throw new Error(`no row ${id}`);
  return found;
}

/**
 * Round-by-round ratio `numerator / denominator` of two overhead series (rounds where the
 * denominator is not positive, i.e. lost in noise, are left out and counted).
 */
export function overheadRatio(numerator: number[], denominator: number[]): { ratio: Summary; dropped: number } {
  const ratios: number[] = [];
  let dropped = 0;
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    if (denominator[i]! > 0) ratios.push(numerator[i]! / denominator[i]!);
    else dropped++;
  }
  return { ratio: summarize(ratios), dropped };
}
