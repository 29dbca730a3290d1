/** Heap bytes and timers held by N idle breakers of one library, in a fresh process. */
import { CircuitBreakerPolicy } from '@bulwark/core';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { answer } from '../lib/bench-case.js';
import { hasGc, liveTimers, settleHeap } from '../lib/process-probes.js';
import { installTimerCensus, liveTimersIncludingUnref } from '../lib/timer-census.js';
import { numberParam, stringParam, type SuiteParams } from '../lib/suite-protocol.js';

export interface BreakerMemoryResult {
  readonly lib: string;
  readonly count: number;
  readonly bytesPerBreaker: number;
  /** Ref'd timers (`process.getActiveResourcesInfo()`). */
  readonly timersHeld: number;
  /** Every live timer, unref'd included. */
  readonly timersHeldInclUnref: number;
}

const FACTORIES: Record<string, (name: string) => { call(): Promise<unknown>; dispose(): void }> = {
  bulwark: (name) => {
    const breaker = new CircuitBreakerPolicy({ name });
    return { call: () => breaker.execute(answer), dispose: () => undefined };
  },
  cockatiel: () => {
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
    return { call: () => breaker.execute(answer), dispose: () => undefined };
  },
  opossum: (name) => {
    const breaker = new CircuitBreaker(answer, { name });
    return { call: () => breaker.fire(), dispose: () => breaker.shutdown() };
  },
};

export async function run(params: SuiteParams): Promise<BreakerMemoryResult> {
  if (!hasGc) throw new Error('run with --expose-gc');
  installTimerCensus();
  const lib = stringParam(params, 'lib');
  const count = numberParam(params, 'count', 10_000);
  const create = FACTORIES[lib];
  if (create === undefined) throw new Error(`unknown --lib=${lib}`);
  // Names and the holding array exist before the baseline: only the breakers are measured.
  const names = Array.from({ length: count }, (_, i) => `breaker-${i}`);
  const breakers: ReturnType<typeof create>[] = new Array(count).fill(undefined);
  create('warm-up').dispose();
  const before = await settleHeap();
  for (let i = 0; i < count; i++) breakers[i] = create(names[i]!);
  const after = await settleHeap();
  // Absolute counts: the process holds no other timer (the warm-up breaker is disposed).
  const timersHeld = liveTimers();
  const timersHeldInclUnref = liveTimersIncludingUnref();
  for (const index of [0, count - 1]) {
    if ((await breakers[index]!.call()) !== 42) throw new Error(`${lib}: breaker ${index} returned a wrong value`);
  }
  for (const breaker of breakers) breaker.dispose();
  return { lib, count, bytesPerBreaker: (after - before) / count, timersHeld, timersHeldInclUnref };
}
