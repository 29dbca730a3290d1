/**
 * What a call leaves behind, counted rather than timed: timers armed, AbortControllers built,
 * AsyncLocalStorage contexts entered and promises created per successful call, and stack frames
 * captured per fast-fail rejection. The globals are wrapped before any library is loaded;
 * libraries look them up per call. Promises matter because with AsyncLocalStorage on (Node 20)
 * each one runs the promise init hook.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import type { SuiteParams } from '../lib/suite-protocol.js';
import { numberParam } from '../lib/suite-protocol.js';
import type { BenchCase } from '../lib/bench-case.js';

interface Counts {
  setTimeout: number;
  clearTimeout: number;
  setInterval: number;
  abortController: number;
  asyncLocalStorageRun: number;
  promises: number;
}

const counts: Counts = { setTimeout: 0, clearTimeout: 0, setInterval: 0, abortController: 0, asyncLocalStorageRun: 0, promises: 0 };

function instrumentGlobals(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const realSetInterval = globalThis.setInterval;
  g.setTimeout = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
    counts.setTimeout++;
    return realSetTimeout.apply(this, args);
  };
  g.clearTimeout = function (this: unknown, ...args: Parameters<typeof clearTimeout>) {
    counts.clearTimeout++;
    return realClearTimeout.apply(this, args);
  };
  g.setInterval = function (this: unknown, ...args: Parameters<typeof setInterval>) {
    counts.setInterval++;
    return realSetInterval.apply(this, args);
  };
  const RealAbortController = globalThis.AbortController;
  g.AbortController = class CountingAbortController extends RealAbortController {
    constructor() {
      super();
      counts.abortController++;
    }
  };
  const realRun = AsyncLocalStorage.prototype.run;
  AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, ...args: Parameters<typeof realRun>) {
    counts.asyncLocalStorageRun++;
    return realRun.apply(this, args);
  } as typeof realRun;
  createHook({
    init(_id, type) {
      if (type === 'PROMISE') counts.promises++;
    },
  }).enable();
}

export interface PerCallCounts {
  readonly id: string;
  readonly calls: number;
  readonly setTimeoutPerCall: number;
  readonly clearTimeoutPerCall: number;
  readonly setIntervalPerCall: number;
  readonly abortControllersPerCall: number;
  readonly asyncLocalStorageRunsPerCall: number;
  /** Promises created per call, the awaiting loop's own included (see the `bare` row). */
  readonly promisesPerCall: number;
}

export interface StackFrames {
  readonly id: string;
  readonly framesPerRejection: number;
  readonly hasStack: boolean;
}

export interface HygieneResult {
  readonly perCall: PerCallCounts[];
  readonly fastFail: StackFrames[];
}

const COUNTED = new Set([
  'bulwark.breaker',
  'bulwark.timeout',
  'bulwark.compose',
  'bulwark.rxjs',
  'bulwark.decorated',
  'bulwark.decorated-breaker',
  'cockatiel.breaker',
  'cockatiel.wrap',
  'opossum.breaker',
  'rxjs.plain',
]);

async function countPerCall(bench: BenchCase, calls: number): Promise<PerCallCounts> {
  for (let i = 0; i < 1_000; i++) {
    if ((await bench.call()) !== bench.expected) throw new Error(`${bench.id}: wrong value during warm-up`);
  }
  const start = { ...counts };
  for (let i = 0; i < calls; i++) {
    if ((await bench.call()) !== bench.expected) throw new Error(`${bench.id}: wrong value`);
  }
  const per = (key: keyof Counts): number => (counts[key] - start[key]) / calls;
  return {
    id: bench.id,
    calls,
    setTimeoutPerCall: per('setTimeout'),
    clearTimeoutPerCall: per('clearTimeout'),
    setIntervalPerCall: per('setInterval'),
    abortControllersPerCall: per('abortController'),
    asyncLocalStorageRunsPerCall: per('asyncLocalStorageRun'),
    promisesPerCall: per('promises'),
  };
}

async function stackFrames(bench: BenchCase): Promise<StackFrames> {
  let error: unknown;
  try {
    await bench.call();
  } catch (caught) {
    error = caught;
  }
  if (error === undefined || !bench.isExpectedError!(error)) throw new Error(`${bench.id}: expected a fast-fail rejection`);
  const stack = (error as { stack?: unknown }).stack;
  const frames = typeof stack === 'string' ? (stack.match(/\n\s+at /g) ?? []).length : 0;
  return { id: bench.id, framesPerRejection: frames, hasStack: frames > 0 };
}

export async function run(params: SuiteParams): Promise<HygieneResult> {
  instrumentGlobals();
  const calls = numberParam(params, 'calls', 10_000);
  const { buildCases } = await import('../cases/all.cases.js');
  const set = await buildCases('als-on');
  try {
    const perCall: PerCallCounts[] = [await countPerCall(set.bare, calls)];
    const fastFail: StackFrames[] = [];
    for (const bench of set.cases) {
      if (bench.shape === 'resolve' && COUNTED.has(bench.id)) perCall.push(await countPerCall(bench, calls));
      if (bench.shape === 'reject' && bench.id !== 'bare.reject') fastFail.push(await stackFrames(bench));
    }
    return { perCall, fastFail };
  } finally {
    await set.close();
  }
}
