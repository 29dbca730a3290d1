/** CPU a process burns while idle for a window, with N breakers of one library or none. */
import { CircuitBreakerPolicy } from '@bulwark/core';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { answer } from '../lib/bench-case.js';
import { liveTimers, settleHeap, sleep } from '../lib/process-probes.js';
import { installTimerCensus, liveTimersIncludingUnref } from '../lib/timer-census.js';
import { numberParam, stringParam, type SuiteParams } from '../lib/suite-protocol.js';

export interface IdleCpuResult {
  readonly mode: string;
  readonly count: number;
  readonly windowMs: number;
  readonly cpuUs: number;
  readonly userUs: number;
  readonly systemUs: number;
  /** Ref'd timers before the idle window (`process.getActiveResourcesInfo()`). */
  readonly liveTimers: number;
  /** Every live timer, unref'd included. */
  readonly liveTimersInclUnref: number;
}

export async function run(params: SuiteParams): Promise<IdleCpuResult> {
  const mode = stringParam(params, 'mode');
  const count = numberParam(params, 'count', 10_000);
  const windowMs = numberParam(params, 'ms', 2_000);
  installTimerCensus();
  const held: unknown[] = [];
  const disposers: (() => void)[] = [];
  for (let i = 0; i < (mode === 'empty' ? 0 : count); i++) {
    if (mode === 'bulwark') held.push(new CircuitBreakerPolicy({ name: `breaker-${i}` }));
    else if (mode === 'cockatiel') held.push(circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }));
    else if (mode === 'opossum') {
      const breaker = new CircuitBreaker(answer, { name: `breaker-${i}` });
      held.push(breaker);
      disposers.push(() => breaker.shutdown());
    } else throw new Error(`unknown --mode=${mode}`);
  }
  await settleHeap();
  await sleep(200);
  const timers = liveTimers();
  const allTimers = liveTimersIncludingUnref();
  const start = process.cpuUsage();
  await sleep(windowMs);
  const usage = process.cpuUsage(start);
  for (const dispose of disposers) dispose();
  if (held.length !== (mode === 'empty' ? 0 : count)) throw new Error('breakers lost');
  return { mode, count: held.length, windowMs, cpuUs: usage.user + usage.system, userUs: usage.user, systemUs: usage.system, liveTimers: timers, liveTimersInclUnref: allTimers };
}
