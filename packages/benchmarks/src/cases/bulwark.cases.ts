import * as bulwarkCoreMain from '@bulwark/core';
import { CircuitBreakerPolicy, CircuitOpenError, TimeoutPolicy, type ComposedPolicy } from '@bulwark/core';
import * as bulwarkCoreRxjs from '@bulwark/core/rxjs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstValueFrom, of } from 'rxjs';
import { answer, rejecting, resolving, type BenchCase } from '../lib/bench-case.js';

/**
 * A build of `@bulwark/core` (its main entry and its `rxjs` entry together): the installed one, or
 * another loaded by `npm run ab` to compare with.
 */
export type CoreBuild = typeof bulwarkCoreMain & typeof bulwarkCoreRxjs;

const bulwarkCore: CoreBuild = { ...bulwarkCoreMain, ...bulwarkCoreRxjs };

/** Far beyond any run: an opened breaker stays open for the whole measurement. */
export const HOUR = 3_600_000;

/** Another build of `@bulwark/core`, from its dist directory (`npm run ab`, `npm run instructions`). */
export async function loadCoreBuild(dist: string): Promise<CoreBuild> {
  const main = (await import(pathToFileURL(resolve(dist, 'index.js')).href)) as typeof bulwarkCoreMain;
  const rxjs = (await import(pathToFileURL(resolve(dist, 'rxjs/index.js')).href)) as typeof bulwarkCoreRxjs;
  return { ...main, ...rxjs };
}

/**
 * The composition of the decorated stack: Fallback → Retry → CircuitBreaker → Timeout, issue
 * defaults; `histogram`: its breaker keeps the duration histogram, as with metrics on.
 */
export function fullStack(name: string, core: CoreBuild = bulwarkCore, histogram = false): ComposedPolicy {
  const breaker = new core.CircuitBreakerPolicy({ name, failureThreshold: 5 });
  if (histogram) breaker.enableDurationHistogram();
  return core.composePolicies(
    new core.FallbackPolicy({ name, handler: () => -1 }),
    new core.RetryPolicy({ name }),
    breaker,
    new core.TimeoutPolicy({ name, duration: 1_000 }),
  );
}

/** Single policies that never enter an AsyncLocalStorage scope (no timeout in them). */
export function bulwarkUnscopedCases(core: CoreBuild = bulwarkCore): BenchCase[] {
  const breaker = new core.CircuitBreakerPolicy({ name: 'bench', failureThreshold: 5 });
  const retry = new core.RetryPolicy({ name: 'bench' });
  const fallback = new core.FallbackPolicy({ name: 'bench', handler: () => -1 });
  const bulkhead = new core.BulkheadPolicy({ name: 'bench', maxConcurrent: 10 });
  return [
    resolving('bulwark.breaker', () => breaker.execute(answer)),
    resolving('bulwark.retry', () => retry.execute(answer)),
    resolving('bulwark.fallback', () => fallback.execute(answer)),
    resolving('bulwark.bulkhead', () => bulkhead.execute(answer)),
  ];
}

/** Cases that run inside a scope (timeout, composition, RxJS): they switch AsyncLocalStorage on. */
export function bulwarkScopedCases(core: CoreBuild = bulwarkCore): BenchCase[] {
  const timeout = new core.TimeoutPolicy({ name: 'bench', duration: 1_000 });
  const composed = fullStack('bench-composed', core);
  const piped = fullStack('bench-rxjs', core);
  return [
    resolving('bulwark.timeout', () => timeout.execute(answer)),
    resolving('bulwark.compose', () => composed.execute(answer)),
    resolving('bulwark.rxjs', () => firstValueFrom(of(42).pipe(core.withPolicy(piped)))),
  ];
}

/** Opens a breaker the way production does: `failureThreshold` consecutive failures. */
async function openedBreaker(name: string, captureStackTrace: boolean): Promise<CircuitBreakerPolicy> {
  const breaker = new CircuitBreakerPolicy({ name, failureThreshold: 5, recoveryTimeout: HOUR, captureStackTrace });
  const failure = new Error('dependency down');
  for (let i = 0; i < 5; i++) {
    await breaker.execute(() => Promise.reject(failure)).catch(() => undefined);
  }
  if (breaker.state !== 'open') throw new Error(`${name}: breaker did not open (state ${breaker.state})`);
  return breaker;
}

export async function bulwarkOpenCases(): Promise<BenchCase[]> {
  const open = await openedBreaker('bench-open', false);
  const openWithStack = await openedBreaker('bench-open-stack', true);
  const isOpenError = (error: unknown): boolean => error instanceof CircuitOpenError;
  return [
    rejecting('bulwark.open', () => open.execute(answer), isOpenError),
    rejecting('bulwark.open-stack', () => openWithStack.execute(answer), isOpenError),
  ];
}

/** Switches Bulwark's AsyncLocalStorage on, as the first timed call of any Bulwark application does. */
export async function enterBulwarkScope(): Promise<void> {
  const value = await new TimeoutPolicy(1_000).execute(answer);
  if (value !== 42) throw new Error('warm-up call failed');
}
