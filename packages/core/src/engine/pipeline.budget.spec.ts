import { describe, expect, it } from '@jest/globals';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { ResiliencePolicy } from '../policy/policy.interface.js';
import type { RetryBudget } from '../retry/retry-budget.interface.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { ComposedPolicy } from '../composition/compose-policies.js';

/** Counts what the pipeline asks; grants retries while `grant` is true. */
class CountingBudget implements RetryBudget {
  calls = 0;
  asked = 0;
  grant = true;
  recordCall(): void {
    this.calls++;
  }
  tryRetry(): boolean {
    this.asked++;
    return this.grant;
  }
}

function stack(budget: RetryBudget, extra: (clock: FakeClock) => ResiliencePolicy[] = () => []) {
  const clock = new FakeClock(1_000);
  const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 10, jitter: 'none', clock, budget });
  const breaker = new CircuitBreakerPolicy({ failureThreshold: 100, recoveryTimeout: 1_000, clock });
  const timeout = new TimeoutPolicy({ duration: 50, clock });
  const composed = new ComposedPolicy([retry, breaker, timeout, ...extra(clock)], 'stack');
  return { clock, retry, breaker, composed };
}

async function outcome<T>(clock: FakeClock, promise: Promise<T>): Promise<unknown> {
  const settled = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await clock.runAllAsync();
  return settled;
}

describe('a composed stack with a retry budget', () => {
  it('records each call exactly once, successes included', async () => {
    const budget = new CountingBudget();
    const { clock, composed } = stack(budget);
    for (let i = 0; i < 5; i++) expect(await outcome(clock, composed.execute(() => Promise.resolve(i)))).toEqual({ value: i });
    expect(budget.calls).toBe(5);
    expect(budget.asked).toBe(0);
  });

  it('asks before each retry, and rethrows the ORIGINAL error once refused', async () => {
    const budget = new CountingBudget();
    const { clock, retry, composed } = stack(budget);
    const original = new Error('down');
    let attempts = 0;
    const call = () =>
      composed.execute(() => {
        attempts++;
        return Promise.reject(original);
      });
    expect(await outcome(clock, call())).toEqual({ error: original });
    expect([budget.calls, budget.asked, attempts]).toEqual([1, 2, 3]);
    budget.grant = false;
    const result = (await outcome(clock, call())) as { error: unknown };
    expect(result.error).toBe(original);
    expect([budget.calls, budget.asked, attempts]).toEqual([2, 3, 4]);
    expect(retry.budgetExhaustedCount).toBe(1);
    expect(retry.stats).toEqual({ successWithoutRetry: 0, successWithRetry: 0, failedWithRetry: 1, failedWithoutRetry: 1 });
  });

  it('asks before retrying a timeout, and lets the fallback see the original error', async () => {
    const budget = new CountingBudget();
    budget.grant = false;
    const seen: unknown[] = [];
    const { clock, composed } = stack(budget, (c) => [
      new FallbackPolicy({ handler: (error: unknown) => (seen.push(error), 'fallback'), clock: c }),
    ]);
    const result = await outcome(
      clock,
      composed.execute(() => new Promise(() => undefined)),
    );
    expect(result).toEqual({ value: 'fallback' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ name: 'TimeoutError' });
    expect([budget.calls, budget.asked]).toEqual([1, 1]);
  });

  it('records a call the breaker refuses at once, and one that waits for a bulkhead, once', async () => {
    const budget = new CountingBudget();
    const { clock, breaker, composed } = stack(budget, (c) => [new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1, clock: c })]);
    let release: () => void = () => undefined;
    const first = composed.execute(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const queued = composed.execute(() => Promise.resolve('queued')); // waits: the bulkhead is full
    await flushMicrotasks();
    release();
    expect(await outcome(clock, first)).toEqual({ value: 'first' });
    expect(await outcome(clock, queued)).toEqual({ value: 'queued' });
    expect(budget.calls).toBe(2);
    breaker.forceOpen();
    const refused = (await outcome(clock, composed.execute(() => 'never'))) as { error: unknown };
    expect(refused.error).toMatchObject({ name: 'CircuitOpenError' });
    expect([budget.calls, budget.asked]).toEqual([3, 0]); // CircuitOpenError is not retried
  });

  it('does not record a call cancelled before it starts', async () => {
    const budget = new CountingBudget();
    const { clock, composed } = stack(budget);
    const scope = ExecutionScope.cancellable();
    scope.abort(new Error('gone'));
    await outcome(clock, composed.run(() => 'never', scope));
    expect(budget.calls).toBe(0);
  });
});
