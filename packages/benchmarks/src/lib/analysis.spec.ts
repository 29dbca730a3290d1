import { describe, expect, it } from '@jest/globals';
import { analyzeCalls } from './analysis.js';
import { callsFixture } from './testing/calls-fixture.js';

describe('analyzeCalls', () => {
  it('takes the application tax round by round: bare call with Bulwark loaded over the isolate without it', () => {
    // Both isolates slow down together in round 1 (host load): the ratio stays 1.02.
    const calls = analyzeCalls(
      callsFixture({
        rounds: 3,
        bare: { 'no-bulwark': (round) => (round === 1 ? 100 : 50), 'als-off': (round) => (round === 1 ? 102 : 51), 'als-on': () => 300 },
      }),
    );
    expect(calls.appTax.ratio.median).toBeCloseTo(1.02, 10);
    expect(calls.appTax.ratio.min).toBeCloseTo(1.02, 10);
    expect(calls.appTax.ns.median).toBeCloseTo(1, 10);
    expect(calls.bare['no-bulwark'].ns.median).toBe(50);
  });

  it('gives the A/A control: a second isolate without Bulwark against the first, compared the same way', () => {
    const calls = analyzeCalls(
      callsFixture({ rounds: 3, bare: { 'no-bulwark': () => 50, 'no-bulwark-again': () => 52, 'als-off': () => 51, 'als-on': () => 300 } }),
    );
    expect(calls.appTaxControl.ratio.median).toBeCloseTo(1.04, 10);
    expect(calls.appTax.ratio.median).toBeCloseTo(1.02, 10);
  });

  it('keeps the AsyncLocalStorage tax as the ALS-on bare call over the ALS-off one', () => {
    const calls = analyzeCalls(callsFixture({ rounds: 3, bare: { 'no-bulwark': () => 50, 'als-off': () => 50, 'als-on': () => 300 } }));
    expect(calls.alsOnTax.ratio.median).toBe(6);
    expect(calls.alsOnTax.ns.median).toBe(250);
  });

  it('judges each round by the median of its bare batches, so one disturbed batch does not move the round', () => {
    const result = callsFixture({ rounds: 1, bare: { 'no-bulwark': () => 50, 'als-off': () => 50, 'als-on': () => 50 } });
    const noBulwark = result.conditions.find((one) => one.condition === 'no-bulwark')!;
    noBulwark.bareRounds[0]![0] = 500;
    expect(analyzeCalls(result).appTax.ratio.median).toBe(1);
  });

  it.each(['no-bulwark', 'no-bulwark-again'] as const)('refuses a %s isolate that ran cases: it must time the bare call only', (condition) => {
    const result = callsFixture({ rounds: 1, bare: { 'no-bulwark': () => 50, 'als-off': () => 50, 'als-on': () => 50 } });
    const offCase = result.conditions.find((one) => one.condition === 'als-off')!.cases[0]!;
    result.conditions.find((one) => one.condition === condition)!.cases.push(offCase);
    expect(() => analyzeCalls(result)).toThrow(`the ${condition} isolate ran cases`);
  });
});
