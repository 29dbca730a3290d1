import { describe, expect, it } from '@jest/globals';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { currentSignal } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { ResiliencePolicy } from '../policy/policy.interface.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { composePolicies } from './compose-policies.js';

function stack(clock: FakeClock) {
  const fallback = new FallbackPolicy({ name: 'fb', handler: (error: unknown) => ({ fallback: error }), clock });
  const retry = new RetryPolicy({ name: 'r', maxRetries: 3, baseDelay: 10, jitter: 'none', clock });
  const breaker = new CircuitBreakerPolicy({ name: 'cb', failureThreshold: 2, recoveryTimeout: 1_000, clock });
  const timeout = new TimeoutPolicy({ name: 't', duration: 100, clock });
  const bulkhead = new BulkheadPolicy({ name: 'b', maxConcurrent: 1, maxQueue: 0, clock });
  return { fallback, retry, breaker, timeout, bulkhead };
}

describe('composePolicies', () => {
  it('orders policies Fallback → Retry → CircuitBreaker → Timeout → Bulkhead whatever the argument order', () => {
    const clock = new FakeClock();
    const { fallback, retry, breaker, timeout, bulkhead } = stack(clock);
    const composed = composePolicies(bulkhead, timeout, breaker, retry, fallback);
    expect(composed.policies.map((p: ResiliencePolicy) => p.kind)).toEqual(['fallback', 'retry', 'circuit-breaker', 'timeout', 'bulkhead']);
    const shuffled = composePolicies(timeout, fallback, bulkhead, retry, breaker);
    expect(shuffled.policies).toEqual(composed.policies);
    expect(composePolicies(composed).policies).toEqual(composed.policies);
  });

  it('each retry attempt passes the breaker: threshold 2 stops a 3-retry loop after 2 calls, and the fallback sees CircuitOpenError', async () => {
    const clock = new FakeClock();
    const { fallback, retry, breaker, timeout } = stack(clock);
    const composed = composePolicies(fallback, retry, breaker, timeout);
    let calls = 0;
    const pending = composed.execute(async () => {
      calls++;
      throw new Error('down');
    });
    await clock.runAllAsync();
    const result = (await pending) as { fallback: unknown };
    expect(calls).toBe(2);
    expect(result.fallback).toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('open');
  });

  it('each attempt gets its own timeout, and the original error surfaces after the last attempt', async () => {
    const clock = new FakeClock();
    const { retry, timeout } = stack(clock);
    const composed = composePolicies(timeout, retry);
    let attempts = 0;
    const signals: AbortSignal[] = [];
    const outcome = composed
      .execute((context) => {
        attempts++;
        signals.push(context.signal);
        return new Promise<never>(() => undefined);
      })
      .then(
        () => 'resolved',
        (error: unknown) => error,
      );
    await clock.runAllAsync();
    const error = await outcome;
    expect(attempts).toBe(4);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(new Set(signals).size).toBe(4);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(clock.refedTimers).toBe(0);
  });

  it('enters an async-context scope only for a call that carries a deadline or a cancellation', async () => {
    const clock = new FakeClock();
    const { retry } = stack(clock);
    const composed = composePolicies(retry, new CircuitBreakerPolicy({ clock }));
    // Nothing could abort it: it runs as it is, with a signal of its own that never aborts, seen
    // until its first await (no async-context storage entered).
    const [before, after] = await composed.execute(async () => {
      const signal = currentSignal();
      await Promise.resolve();
      return [signal, currentSignal()];
    });
    expect(before).toBeInstanceOf(AbortSignal);
    expect(before!.aborted).toBe(false);
    expect(after).toBeUndefined();
    // A caller's signal: the call carries it, across awaits too.
    const controller = new AbortController();
    const seen = await composed.execute(async () => {
      await Promise.resolve();
      const signal = currentSignal();
      controller.abort();
      return signal;
    }, controller.signal);
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen!.aborted).toBe(true);
    // A timeout: the attempt's own signal, across awaits too.
    const timed = composePolicies(retry, new TimeoutPolicy({ duration: 100, clock }));
    expect(
      await timed.execute(async () => {
        await Promise.resolve();
        return currentSignal();
      }),
    ).toBeInstanceOf(AbortSignal);
    expect(currentSignal()).toBeUndefined();
  });

  it('passes arguments and this to the fallback handler', async () => {
    const clock = new FakeClock();
    const fallback = new FallbackPolicy({
      handler(this: { tag: string }, sku: string, error: Error) {
        return `${this.tag}:${sku}:${error.message}`;
      },
    });
    const composed = composePolicies(fallback, new TimeoutPolicy({ duration: 10, clock }));
    const result = await composed.run(
      () => Promise.reject(new Error('nope')),
      ExecutionScope.root,
      ['sku-1'],
      { tag: 'inst' },
    );
    expect(result).toBe('inst:sku-1:nope');
  });

  it('10,000 concurrent calls through one composed policy: every result right, no leaked timer or slot', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 0, jitter: 'none', clock });
    const breaker = new CircuitBreakerPolicy({ window: { type: 'count', size: 100 }, failureRateThreshold: 100, minimumCalls: 100, clock });
    const timeout = new TimeoutPolicy({ duration: 1_000, clock });
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 2_000, maxQueue: 10_000, clock });
    const fallback = new FallbackPolicy({ handler: (i: number) => -i, clock });
    const composed = composePolicies(fallback, retry, breaker, timeout, bulkhead);
    const tries = new Map<number, number>();
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      composed.run(
        async () => {
          const attempt = (tries.get(i) ?? 0) + 1;
          tries.set(i, attempt);
          await Promise.resolve();
          // Every 7th call fails once then succeeds; every 13th always fails.
          if (i % 13 === 0 || (i % 7 === 0 && attempt === 1)) throw new Error(`fail ${i}`);
          return i;
        },
        ExecutionScope.root,
        [i],
      ),
    );
    await flushMicrotasks();
    await clock.runAllAsync();
    const results = await Promise.all(calls);
    results.forEach((value, i) => expect(value).toBe(i % 13 === 0 ? -i : i));
    expect(timeout.pendingCount).toBe(0);
    expect(bulkhead.running).toBe(0);
    expect(bulkhead.queued).toBe(0);
    expect(clock.refedTimers).toBe(0);
    // Every attempt that reached the callee was recorded by the breaker exactly once.
    const attempts = [...tries.values()].reduce((a, b) => a + b, 0);
    const { calls: counted } = breaker.snapshot();
    expect(counted.success + counted.failure).toBe(attempts);
  });
});
