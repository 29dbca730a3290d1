import { overheadRatio, row, type BareComparison, type CallsAnalysis } from './analysis.js';
import { fixed, int, nsRange, ratioRange, signedInt, table } from './format.js';
import type { Summary } from './stats.js';
import type { Verdict } from './targets.js';

/** The per-call suite on one Node major: measured, or why not. */
export type NodeRun =
  | { readonly major: number; readonly binary: string; readonly calls: CallsAnalysis }
  | { readonly major: number; readonly unavailable: string };

/** The figures of the per-Node table, each from one run of the suite (ratios round by round). */
export interface NodeFigures {
  readonly node: string;
  /** Breaker alone, overhead over the bare call, both in the isolate without AsyncLocalStorage. */
  readonly breaker: { readonly bulwark: Summary; readonly cockatiel: Summary; readonly ratio: Summary };
  /** The decorated stack's overhead over the bare call (isolate with AsyncLocalStorage on). */
  readonly decorated: Summary;
  /** How many times cheaper the decorated stack is than each rival at its natural cost (no AsyncLocalStorage). */
  readonly cheaperThanCockatielWrap: Summary;
  readonly cheaperThanOpossum: Summary;
  readonly appTax: BareComparison;
  /** The application tax's A/A control: two isolates without Bulwark, compared the same way. */
  readonly appTaxControl: BareComparison;
  /**
   * Set when the isolates the application tax compares ended with young generations of different
   * sizes (`"32 vs 128 MiB"`): their bare calls then differ by how often they scavenge, not by Bulwark.
   */
  readonly youngGenerations?: string;
  readonly alsOnTax: BareComparison;
}

export function nodeFigures(calls: CallsAnalysis): NodeFigures {
  const decorated = row(calls, 'bulwark.decorated').alsOn!;
  const ours = row(calls, 'bulwark.breaker').alsOff!;
  const theirs = row(calls, 'cockatiel.breaker').alsOff!;
  const cheaper = (id: string): Summary => overheadRatio(row(calls, id).alsOff!.overheadSeries, decorated.overheadSeries).ratio;
  return {
    node: calls.node,
    breaker: { bulwark: ours.overhead, cockatiel: theirs.overhead, ratio: overheadRatio(ours.overheadSeries, theirs.overheadSeries).ratio },
    decorated: decorated.overhead,
    cheaperThanCockatielWrap: cheaper('cockatiel.wrap'),
    cheaperThanOpossum: cheaper('opossum.breaker'),
    appTax: calls.appTax,
    appTaxControl: calls.appTaxControl,
    ...(calls.youngGenerationMiB['als-off'] === calls.youngGenerationMiB['no-bulwark']
      ? {}
      : { youngGenerations: `${calls.youngGenerationMiB['als-off']} vs ${calls.youngGenerationMiB['no-bulwark']} MiB` }),
    alsOnTax: calls.alsOnTax,
  };
}

interface NodeTargetDefinition {
  readonly id: string;
  readonly target: string;
  /** The majors the target applies to; every one when unset. */
  readonly majors?: readonly number[];
  /** `met` undefined: the figure cannot be judged (reported as not measured). */
  evaluate(figures: NodeFigures): { figure: string; met: boolean | undefined };
}

/** The targets every supported Node must meet, each judged on the median of its round-by-round series. */
export const NODE_TARGETS: readonly NodeTargetDefinition[] = [
  {
    id: 'breaker-vs-cockatiel',
    target: 'Breaker alone: overhead ≤ cockatiel breaker',
    evaluate: (f) => ({
      figure: `${ratioRange(f.breaker.ratio)} (${int(f.breaker.bulwark.median)} vs ${int(f.breaker.cockatiel.median)} ns)`,
      met: f.breaker.ratio.median <= 1,
    }),
  },
  {
    id: 'decorated-vs-cockatiel-wrap',
    target: 'Decorated stack ≥ 20× cheaper than cockatiel wrap(retry, breaker, timeout)',
    evaluate: (f) => ({ figure: ratioRange(f.cheaperThanCockatielWrap, 1), met: f.cheaperThanCockatielWrap.median >= 20 }),
  },
  {
    id: 'decorated-vs-opossum',
    target: 'Decorated stack ≥ 2.5× cheaper than opossum default breaker',
    evaluate: (f) => ({ figure: ratioRange(f.cheaperThanOpossum, 1), met: f.cheaperThanOpossum.median >= 2.5 }),
  },
  {
    id: 'decorated-ns',
    target: 'Decorated stack overhead ≤ 300 ns (Node 24)',
    majors: [24],
    evaluate: (f) => ({ figure: `${nsRange(f.decorated)} ns`, met: f.decorated.median <= 300 }),
  },
  {
    id: 'app-tax',
    target: 'Application tax ≤ 1.05×: a plain await loop with Bulwark loaded and a breaker-only method in use, vs the same loop without Bulwark',
    evaluate: (f) =>
      f.youngGenerations === undefined
        ? { figure: `${ratioRange(f.appTax.ratio)} (A/A control ${fixed(f.appTaxControl.ratio.median)}×)`, met: f.appTax.ratio.median <= 1.05 }
        : { figure: `${ratioRange(f.appTax.ratio)}, not comparable: young generations of ${f.youngGenerations}`, met: undefined },
  },
];

export interface NodeTargetResult {
  readonly id: string;
  readonly target: string;
  readonly major: number;
  readonly figure: string;
  readonly verdict: Verdict;
}

/** Every target that applies to `run`'s major: judged, or not measured when the Node was unavailable. */
export function nodeTargets(run: NodeRun): NodeTargetResult[] {
  const figures = 'calls' in run ? nodeFigures(run.calls) : undefined;
  return NODE_TARGETS.filter((one) => one.majors === undefined || one.majors.includes(run.major)).map((one) => {
    if (figures === undefined) return { id: one.id, target: one.target, major: run.major, figure: 'n/a', verdict: 'not measured' };
    const { figure, met } = one.evaluate(figures);
    return { id: one.id, target: one.target, major: run.major, figure, verdict: met === undefined ? 'not measured' : met ? 'met' : 'missed' };
  });
}

const VERDICT_TEXT: Record<Verdict, string> = { met: '**met**', missed: '**MISSED**', 'not measured': 'not measured' };

const FIGURES_HEADER = [
  'Node',
  'breaker alone, overhead ns: Bulwark vs cockatiel',
  'Bulwark / cockatiel breaker',
  'decorated stack overhead ns',
  '× cheaper than cockatiel wrap',
  '× cheaper than opossum default',
  'app tax: bare await, Bulwark loaded (breaker-only method in use) / not loaded',
  'ALS tax: bare await once a scope was entered / never',
];

function figuresRow(run: NodeRun): string[] {
  if (!('calls' in run)) return [`${run.major}`, `n/a: ${run.unavailable}`, '', '', '', '', '', ''];
  const f = nodeFigures(run.calls);
  return [
    `${f.node} (V8 ${run.calls.v8})`,
    `${int(f.breaker.bulwark.median)} vs ${int(f.breaker.cockatiel.median)}`,
    ratioRange(f.breaker.ratio),
    nsRange(f.decorated),
    ratioRange(f.cheaperThanCockatielWrap, 1),
    ratioRange(f.cheaperThanOpossum, 1),
    `${ratioRange(f.appTax.ratio, 3)} (${signedInt(f.appTax.ns.median)} ns; A/A control ${fixed(f.appTaxControl.ratio.median, 3)}×)${f.youngGenerations === undefined ? '' : `, not comparable: young generations of ${f.youngGenerations}`}`,
    `${ratioRange(f.alsOnTax.ratio)} (${signedInt(f.alsOnTax.ns.median)} ns)`,
  ];
}

/** The compact per-Node table and the targets judged on each Node (rows: targets, columns: Nodes). */
export function renderNodeTables(runs: readonly NodeRun[]): string {
  const results = runs.map(nodeTargets);
  const targetRows = NODE_TARGETS.map((definition) => [
    definition.target,
    ...results.map((perNode) => {
      const found = perNode.find((one) => one.id === definition.id);
      if (found === undefined) return '—';
      return found.figure === 'n/a' ? VERDICT_TEXT[found.verdict] : `${VERDICT_TEXT[found.verdict]} ${found.figure}`;
    }),
  ]);
  const rounds = [...new Set(runs.flatMap((run) => ('calls' in run ? [run.calls.rounds] : [])))];
  return [
    `### Per Node version (per-call suite, one run per Node${rounds.length === 1 ? `, ${rounds[0]} interleaved rounds each` : ''})`,
    '',
    'Each row comes from one run of the per-call suite on that Node, every ratio taken round by round within it; rows from ' +
      'different Nodes ran minutes apart, so compare ratios across rows, not nanoseconds. Overheads are medians [p25–p75] over the ' +
      'bare call timed next to the case; the rivals are taken at their natural cost (isolate without AsyncLocalStorage).',
    '',
    table(FIGURES_HEADER, runs.map(figuresRow)),
    '',
    '### Targets per Node version',
    '',
    table(['target', ...runs.map((run) => `Node ${run.major}`)], targetRows),
  ].join('\n');
}

/**
 * For results/*.json: each Node's figures and verdicts, with its full analysis (rows with their
 * per-round series) unless it is `fullReport`, the analysis the file already holds as `calls`.
 */
export function nodeRunsJson(runs: readonly NodeRun[], fullReport: CallsAnalysis | undefined): unknown[] {
  return runs.map((run) => {
    if (!('calls' in run)) return { major: run.major, unavailable: run.unavailable, targets: nodeTargets(run) };
    const summary = { major: run.major, node: run.calls.node, v8: run.calls.v8, binary: run.binary, figures: nodeFigures(run.calls), targets: nodeTargets(run) };
    return run.calls === fullReport ? { ...summary, fullReport: true } : { ...summary, calls: run.calls };
  });
}
