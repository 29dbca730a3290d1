import { CONDITIONS, isBareOnly, type Condition } from '../../cases/all.cases.js';
import type { CallsResult, ConditionResult } from '../../suites/calls.suite.js';
import { CASES } from '../catalog.js';

/** The cases the `als-off` isolate runs: the ones that never enter an AsyncLocalStorage scope. */
const ALS_OFF_CASES = new Set([
  'bulwark.breaker',
  'bulwark.retry',
  'bulwark.fallback',
  'bulwark.bulkhead',
  'bulwark.decorated-breaker',
  'cockatiel.breaker',
  'cockatiel.wrap',
  'opossum.breaker',
  'rxjs.plain',
  'rxjs.firstValueFrom',
  'bare.reject',
  'bulwark.open',
  'bulwark.open-stack',
  'cockatiel.open',
  'opossum.open',
]);

export interface CallsFixture {
  readonly rounds: number;
  readonly node?: string;
  /** ns per bare call in each isolate, per round (every bare batch of the round alike). */
  readonly bare: Record<Exclude<Condition, 'no-bulwark-again'>, (round: number) => number> & { readonly 'no-bulwark-again'?: (round: number) => number };
  /** A case's overhead over the bare call in an isolate, per round; 100 ns when unset. */
  readonly overhead?: Readonly<Record<string, (round: number, condition: Condition) => number>>;
  /** Each isolate's young generation at the end (MiB); 32 when unset. */
  readonly youngGenerationMiB?: Partial<Record<Condition, number>>;
}

/** A per-call suite result as the suite returns it, with figures chosen by the spec. */
export function callsFixture(fixture: CallsFixture): CallsResult {
  const rounds = Array.from({ length: fixture.rounds }, (_, round) => round);
  const condition = (name: Condition): ConditionResult => {
    const ids = isBareOnly(name) ? [] : CASES.filter((info) => info.unavailable === undefined && info.optional === undefined && (name === 'als-on' || ALS_OFF_CASES.has(info.id))).map((info) => info.id);
    const bare = fixture.bare[name] ?? fixture.bare['no-bulwark'];
    const cases = ids.map((id) => {
      const overhead = fixture.overhead?.[id] ?? (() => 100);
      return { id, batch: 1_000, ns: rounds.map((round) => bare(round) + overhead(round, name)), bareNs: rounds.map(bare) };
    });
    const perRound = Math.max(cases.length, ALS_OFF_CASES.size);
    return { condition: name, bareBatch: 100_000, youngGenerationMiB: fixture.youngGenerationMiB?.[name] ?? 32, cases, bareRounds: rounds.map((round) => Array.from({ length: perRound }, () => bare(round))) };
  };
  return {
    node: fixture.node ?? 'v20.20.2',
    v8: '11.3',
    rounds: fixture.rounds,
    timing: { warmupMs: 1, batchTargetMs: 1, minCalls: 1, maxCalls: 1 },
    conditions: CONDITIONS.map(condition),
  };
}
