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

/** One isolate's bare call against another's, round by round: difference (ns) and ratio. */
export interface BareComparison {
  readonly ns: Summary;
  readonly ratio: Summary;
}

export interface CallsAnalysis {
  /** The Node that ran the suite and its V8. */
  readonly node: string;
  readonly v8: string;
  readonly rounds: number;
  readonly rows: CallRow[];
  readonly bare: Record<Condition, BareFigures>;
  /** Each isolate's young generation at the end of the run (MiB): the bare calls compare only if they are equal. */
  readonly youngGenerationMiB: Record<Condition, number>;
  /**
   * The application tax: the bare call in the isolate with Bulwark and the competitors loaded and
   * a breaker-only decorated method in use (`als-off`) against the isolate that never loaded any
   * of them (`no-bulwark`). What an application that uses Bulwark without timeouts pays on every
   * await of its own.
   */
  readonly appTax: BareComparison;
  /**
   * The A/A control of the application tax: a second isolate without Bulwark against the first,
   * the same comparison between two identical isolates. How far apart this machine puts them.
   */
  readonly appTaxControl: BareComparison;
  /**
   * What entering an AsyncLocalStorage scope once (a timeout, here) costs every awaited async call
   * of the process from then on: bare call with it on minus off, round by round across the two
   * isolates.
   */
  readonly alsOnTax: BareComparison;
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
  if (result.bareRounds.length !== rounds) throw new Error(`${result.condition}: ${result.bareRounds.length} rounds of bare batches, expected ${rounds}`);
  const series = result.bareRounds.map((batches) => summarize(batches).median);
  return { batch: result.bareBatch, ns: summarize(series), series };
}

function compareBare(a: BareFigures, b: BareFigures): BareComparison {
  return {
    ns: summarize(zipWith(a.series, b.series, (x, y) => x - y)),
    ratio: summarize(zipWith(a.series, b.series, (x, y) => x / y)),
  };
}

export function analyzeCalls(calls: CallsResult): CallsAnalysis {
  const byCondition = (condition: Condition): ConditionResult => {
    const found = calls.conditions.find((one) => one.condition === condition);
    if (found === undefined) throw new Error(`calls suite returned no ${condition} results`);
    return found;
  };
  const none = byCondition('no-bulwark');
  const again = byCondition('no-bulwark-again');
  const off = byCondition('als-off');
  const on = byCondition('als-on');
  for (const bareOnly of [none, again]) {
    if (bareOnly.cases.length > 0) {
      throw new Error(`the ${bareOnly.condition} isolate ran cases (${bareOnly.cases.map((one) => one.id).join(', ')}); it times the bare call only`);
    }
  }
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
  const bare: Record<Condition, BareFigures> = {
    'no-bulwark': bareFigures(none, calls.rounds),
    'no-bulwark-again': bareFigures(again, calls.rounds),
    'als-off': bareFigures(off, calls.rounds),
    'als-on': bareFigures(on, calls.rounds),
  };
  const decorated = on.cases.find((one) => one.id === 'bulwark.decorated');
  return {
    node: calls.node,
    v8: calls.v8,
    rounds: calls.rounds,
    rows,
    bare,
    youngGenerationMiB: {
      'no-bulwark': none.youngGenerationMiB,
      'no-bulwark-again': again.youngGenerationMiB,
      'als-off': off.youngGenerationMiB,
      'als-on': on.youngGenerationMiB,
    },
    appTax: compareBare(bare['als-off'], bare['no-bulwark']),
    appTaxControl: compareBare(bare['no-bulwark-again'], bare['no-bulwark']),
    alsOnTax: compareBare(bare['als-on'], bare['als-off']),
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
