import { describe, expect, it } from '@jest/globals';
import { analyzeCalls } from './analysis.js';
import { nodeFigures, nodeTargets, renderNodeTables, type NodeRun } from './node-summary.js';
import { callsFixture, type CallsFixture } from './testing/calls-fixture.js';

/** Overheads (ns) per case; the rivals are judged in the isolate without AsyncLocalStorage, the decorated stack with it on. */
function measured(major: number, overheads: Record<string, number>, bare: CallsFixture['bare'] = { 'no-bulwark': () => 50, 'als-off': () => 51, 'als-on': () => 51 }): NodeRun {
  const overhead = Object.fromEntries(Object.entries(overheads).map(([id, ns]) => [id, () => ns]));
  return { major, binary: `/node${major}`, calls: analyzeCalls(callsFixture({ rounds: 5, node: `v${major}.1.0`, bare, overhead })) };
}

const GOOD = { 'bulwark.breaker': 80, 'cockatiel.breaker': 160, 'bulwark.decorated': 250, 'cockatiel.wrap': 20_000, 'opossum.breaker': 1_500 };

describe('per-Node figures and targets', () => {
  it('takes the breaker ratio, the decorated overhead, the rivals ratios and the application tax from one run', () => {
    const run = measured(24, GOOD);
    const figures = nodeFigures((run as { calls: Parameters<typeof nodeFigures>[0] }).calls);
    expect(figures.breaker.ratio.median).toBe(0.5);
    expect(figures.decorated.median).toBe(250);
    expect(figures.cheaperThanCockatielWrap.median).toBe(80);
    expect(figures.cheaperThanOpossum.median).toBe(6);
    expect(figures.appTax.ratio.median).toBeCloseTo(1.02, 10);
  });

  it('judges the 300 ns target on Node 24 only', () => {
    expect(nodeTargets(measured(20, GOOD)).map((one) => one.id)).not.toContain('decorated-ns');
    const node24 = nodeTargets(measured(24, { ...GOOD, 'bulwark.decorated': 350 }));
    expect(node24.find((one) => one.id === 'decorated-ns')?.verdict).toBe('missed');
    expect(node24.find((one) => one.id === 'decorated-vs-cockatiel-wrap')?.verdict).toBe('met');
  });

  it('misses the opossum target below 2.5x and the application tax above 1.05x', () => {
    const run = measured(22, { ...GOOD, 'opossum.breaker': 600 }, { 'no-bulwark': () => 50, 'als-off': () => 53, 'als-on': () => 300 });
    const verdicts = Object.fromEntries(nodeTargets(run).map((one) => [one.id, one.verdict]));
    expect(verdicts).toEqual({
      'breaker-vs-cockatiel': 'met',
      'decorated-vs-cockatiel-wrap': 'met',
      'decorated-vs-opossum': 'missed',
      'app-tax': 'missed',
    });
  });

  it('does not judge the application tax when the two isolates ended with young generations of different sizes', () => {
    const calls = analyzeCalls(callsFixture({ rounds: 3, bare: { 'no-bulwark': () => 60, 'als-off': () => 50, 'als-on': () => 50 }, youngGenerationMiB: { 'no-bulwark': 2 } }));
    const tax = nodeTargets({ major: 20, binary: '/node20', calls }).find((one) => one.id === 'app-tax')!;
    expect(tax.verdict).toBe('not measured');
    expect(tax.figure).toContain('not comparable: young generations of 32 vs 2 MiB');
  });

  it('reports a Node that could not be resolved as n/a, its targets as not measured', () => {
    const run: NodeRun = { major: 22, unavailable: 'could not get Node 22 from npm' };
    expect(nodeTargets(run).every((one) => one.verdict === 'not measured')).toBe(true);
    const markdown = renderNodeTables([measured(20, GOOD), run, measured(24, GOOD)]);
    expect(markdown).toContain('| 22 | n/a: could not get Node 22 from npm |');
    expect(markdown).toContain('| target | Node 20 | Node 22 | Node 24 |');
    // The 300 ns target: not one on Node 20 and 22, judged on 24.
    expect(markdown).toMatch(/\| Decorated stack overhead ≤ 300 ns \(Node 24\) \| — \| — \| \*\*met\*\* 250 \[250–250\] ns \|/);
  });
});
