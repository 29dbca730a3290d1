import { describe, expect, it } from '@jest/globals';
import { Observable, firstValueFrom, lastValueFrom, map, of, throwError, toArray, NEVER } from 'rxjs';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { composePolicies } from '../composition/compose-policies.js';
import { currentSignal } from '../context/current-signal.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { withPolicy } from './policy.operator.js';
import { withBulkhead, withCircuitBreaker, withFallback, withRetry, withTimeout } from './policy-operators.js';

/** A cold source that records subscriptions and teardowns, and fails its first `failures` runs. */
function flaky<T>(values: T[], failures: number) {
  const stats = { subscriptions: 0, teardowns: 0 };
  const source = new Observable<T>((subscriber) => {
    stats.subscriptions++;
    if (stats.subscriptions <= failures) subscriber.error(new Error(`run ${stats.subscriptions} failed`));
    else {
      for (const value of values) subscriber.next(value);
      subscriber.complete();
    }
    return () => {
      stats.teardowns++;
    };
  });
  return { source, stats };
}

describe('RxJS operators', () => {
  it('retry re-subscribes with the backoff and passes every value through', async () => {
    const clock = new FakeClock();
    const { source, stats } = flaky([1, 2, 3], 2);
    const retry = new RetryPolicy({ maxRetries: 3, baseDelay: 100, jitter: 'none', clock });
    const values = lastValueFrom(source.pipe(withRetry(retry), toArray()));
    await clock.tickAsync(99);
    expect(stats.subscriptions).toBe(1);
    await clock.tickAsync(1);
    expect(stats.subscriptions).toBe(2);
    await clock.tickAsync(200);
    expect(await values).toEqual([1, 2, 3]);
    expect(stats.subscriptions).toBe(3);
  });

  it('rethrows the original error after the last re-subscription', async () => {
    const clock = new FakeClock();
    const { source } = flaky([1], 10);
    const retry = new RetryPolicy({ maxRetries: 1, baseDelay: 0, clock });
    await expect(lastValueFrom(source.pipe(withRetry(retry)))).rejects.toThrow('run 2 failed');
  });

  it('timeout unsubscribes the source and errors with TimeoutError', async () => {
    const clock = new FakeClock();
    let teardown = 0;
    let signal: AbortSignal | undefined;
    const source = new Observable<number>(() => {
      signal = currentSignal();
      return () => {
        teardown++;
      };
    });
    const timeout = new TimeoutPolicy({ duration: 50, clock, name: 'slow' });
    const result = firstValueFrom(source.pipe(withTimeout(timeout))).catch((error: unknown) => error);
    await clock.tickAsync(50);
    const error = await result;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(teardown).toBe(1);
    expect(signal?.aborted).toBe(true);
    expect(clock.refedTimers).toBe(0);
  });

  it('a breaker counts one call per subscription: completion succeeds, error fails, and it opens', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 2, clock });
    await lastValueFrom(of(1, 2, 3).pipe(withCircuitBreaker(breaker)));
    expect(breaker.snapshot().calls.success).toBe(1);
    const failing = throwError(() => new Error('x')).pipe(withCircuitBreaker(breaker));
    await expect(lastValueFrom(failing)).rejects.toThrow('x');
    await expect(lastValueFrom(failing)).rejects.toThrow('x');
    expect(breaker.state).toBe('open');
    await expect(lastValueFrom(of(1).pipe(withCircuitBreaker(breaker)))).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('unsubscribing early aborts the signal, releases the bulkhead slot and is not a breaker failure', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 1, clock });
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, clock });
    let signal: AbortSignal | undefined;
    let teardown = 0;
    const source = new Observable<number>((subscriber) => {
      signal = currentSignal();
      subscriber.next(1);
      return () => {
        teardown++;
      };
    });
    const composed = composePolicies(breaker, bulkhead);
    const subscription = source.pipe(withPolicy(composed)).subscribe();
    await flushMicrotasks();
    expect(bulkhead.running).toBe(1);
    subscription.unsubscribe();
    await flushMicrotasks();
    expect(signal?.aborted).toBe(true);
    expect(teardown).toBe(1);
    expect(bulkhead.running).toBe(0);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().calls).toMatchObject({ failure: 0, ignored: 1 });
  });

  it('a fallback replaces the failed stream with its value, Observable or Promise', async () => {
    const valueFallback = new FallbackPolicy({ value: 'cached' });
    expect(await lastValueFrom(throwError(() => new Error('x')).pipe(withFallback(valueFallback)))).toBe('cached');
    const streamFallback = new FallbackPolicy({ handler: () => of('a', 'b') });
    expect(await lastValueFrom(throwError(() => new Error('x')).pipe(withFallback(streamFallback), toArray()))).toEqual(['a', 'b']);
    const argsFallback = new FallbackPolicy({ handler: (sku: string, error: Error) => Promise.resolve(`${sku}:${error.message}`) });
    expect(await lastValueFrom(throwError(() => new Error('x')).pipe(withFallback(argsFallback, { args: ['p1'] })))).toBe('p1:x');
  });

  it('bulkhead holds its slot for the life of the subscription', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 0 });
    const first = NEVER.pipe(withBulkhead(bulkhead)).subscribe();
    await flushMicrotasks();
    await expect(firstValueFrom(of(1).pipe(withBulkhead(bulkhead)))).rejects.toMatchObject({ name: 'BulkheadFullError' });
    first.unsubscribe();
    await flushMicrotasks();
    expect(await firstValueFrom(of(2).pipe(withBulkhead(bulkhead)))).toBe(2);
  });

  it('shares policy state with the promise form', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 1, clock });
    await expect(breaker.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(lastValueFrom(of(1).pipe(withCircuitBreaker(breaker)))).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('an observable that never completes is ended by the timeout with nothing left running', async () => {
    const clock = new FakeClock();
    const timeout = new TimeoutPolicy({ duration: 10, clock });
    const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 5, jitter: 'none', clock });
    let active = 0;
    const source = new Observable<number>(() => {
      active++;
      return () => {
        active--;
      };
    });
    const result = lastValueFrom(source.pipe(withPolicy(composePolicies(retry, timeout)))).catch((error: unknown) => error);
    await clock.runAllAsync();
    expect(await result).toBeInstanceOf(TimeoutError);
    expect(active).toBe(0);
    expect(clock.refedTimers).toBe(0);
  });

  it('a subscriber that leaves early (firstValueFrom) cancels the call: no fallback, no breaker failure', async () => {
    const clock = new FakeClock();
    let fallbacks = 0;
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 1, clock });
    const composed = composePolicies(
      new FallbackPolicy({
        handler: () => {
          fallbacks++;
          return -1;
        },
      }),
      new RetryPolicy({ clock }),
      breaker,
      new TimeoutPolicy({ duration: 100, clock }),
    );
    for (let i = 0; i < 3; i++) expect(await firstValueFrom(of(42, 43).pipe(withPolicy(composed)))).toBe(42);
    await flushMicrotasks();
    expect(fallbacks).toBe(0);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().calls).toMatchObject({ failure: 0, ignored: 3 });
  });

  describe('values seen by policies, caches and subscribers are the method\'s own', () => {
    /** A cold source emitting `runs[n]` on its n-th subscription (an Error in the list: it errors after the values before it). */
    function scripted<T>(runs: (T | Error)[][]) {
      let subscription = 0;
      const source = new Observable<T>((subscriber) => {
        const run = runs[Math.min(subscription++, runs.length - 1)]!;
        for (const item of run) {
          if (item instanceof Error) return subscriber.error(item);
          subscriber.next(item);
        }
        subscriber.complete();
      });
      return { source, subscriptions: () => subscription };
    }

    it('staleIfError replays the values of the last good subscription for the same arguments', async () => {
      const clock = new FakeClock();
      const fallback = new FallbackPolicy({ staleIfError: { maxAge: 60_000 }, clock });
      const { source } = scripted<number>([[1, 2], [new Error('down')]]);
      const piped = source.pipe(withPolicy(fallback, { args: ['sku-1'] }), toArray());
      expect(await lastValueFrom(piped)).toEqual([1, 2]);
      expect(await lastValueFrom(piped)).toEqual([1, 2]);
      expect(fallback.fallbackCounts.error).toBe(1);
    });

    it('staleIfError map is applied to each replayed value, and a map after the operator sees only values', async () => {
      const clock = new FakeClock();
      const fallback = new FallbackPolicy({ staleIfError: { maxAge: 60_000, map: (value: number, { ageMs }) => value + ageMs / 1000 }, clock });
      const { source } = scripted<number>([[10, 20], [new Error('down')]]);
      const piped = source.pipe(withPolicy(fallback), map((value) => { expect(typeof value).toBe('number'); return value * 2; }), toArray());
      expect(await lastValueFrom(piped)).toEqual([20, 40]);
      clock.advance(3_000);
      expect(await lastValueFrom(piped)).toEqual([26, 46]);
    });

    it('retryOnResult judges each emitted value, and the subscriber sees only the accepted attempt\'s values', async () => {
      const clock = new FakeClock();
      const judged: unknown[] = [];
      const retry = new RetryPolicy({
        maxRetries: 3,
        baseDelay: 0,
        clock,
        retryOnResult: (value) => {
          judged.push(value);
          return value === 'busy';
        },
      });
      const { source, subscriptions } = scripted<string>([['a', 'busy'], ['b', 'busy'], ['c', 'ok']]);
      const seen = await lastValueFrom(source.pipe(withPolicy(retry), toArray()));
      expect(seen).toEqual(['c', 'ok']);
      expect(subscriptions()).toBe(3);
      expect(judged).toEqual(['a', 'busy', 'b', 'busy', 'c', 'ok']);
      expect(retry.stats.successWithRetry).toBe(1);
    });

    it('retryOnResult that never accepts gives the last attempt\'s values once retries run out', async () => {
      const clock = new FakeClock();
      const retry = new RetryPolicy({ maxRetries: 1, baseDelay: 0, clock, retryOnResult: (value) => value === 'busy' });
      const { source } = scripted<string>([['busy', 1 as never], ['busy', 2 as never]]);
      expect(await lastValueFrom(source.pipe(withPolicy(retry), toArray()))).toEqual(['busy', 2]);
    });

    it('isFailureResult and fallback onResult judge each emitted value; the handler gets the rejected value', async () => {
      const clock = new FakeClock();
      const breaker = new CircuitBreakerPolicy({ clock, failureThreshold: 5, isFailureResult: (value) => value === 'error-page' });
      const handled: unknown[] = [];
      const fallback = new FallbackPolicy({
        onResult: (value) => value === 'error-page',
        handler: (rejected: unknown) => {
          handled.push(rejected);
          return 'replacement';
        },
      });
      const { source } = scripted<string>([['a', 'b'], ['a', 'error-page']]);
      expect(await lastValueFrom(source.pipe(withPolicy(composePolicies(fallback, breaker)), toArray()))).toEqual(['a', 'b']);
      expect(await lastValueFrom(source.pipe(withPolicy(composePolicies(fallback, breaker)), toArray()))).toEqual(['replacement']);
      expect(handled).toEqual(['error-page']);
      expect(breaker.snapshot().calls).toMatchObject({ success: 1, failure: 1 });
    });

    it('without a policy that judges results, values stream through as they come', async () => {
      const clock = new FakeClock();
      const breaker = new CircuitBreakerPolicy({ clock });
      const seen: number[] = [];
      let emit: ((value: number) => void) | undefined;
      const source = new Observable<number>((subscriber) => {
        emit = (value) => subscriber.next(value);
      });
      const subscription = source.pipe(withPolicy(breaker)).subscribe((value) => seen.push(value));
      emit!(1);
      emit!(2);
      expect(seen).toEqual([1, 2]);
      subscription.unsubscribe();
    });
  });
});
