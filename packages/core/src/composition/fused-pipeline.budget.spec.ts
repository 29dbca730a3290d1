import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { ResiliencePolicy } from '../policy/policy.interface.js';
import type { RetryBudget } from '../retry/retry-budget.interface.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TokenBucketRetryBudget } from '../retry/token-bucket.retry-budget.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { ComposedPolicy } from './compose-policies.js';

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

const isFused = (composed: ComposedPolicy): boolean => (composed as unknown as { fused: unknown }).fused !== undefined;

function stack(fuse: boolean, budget: RetryBudget, extra: (clock: FakeClock) => ResiliencePolicy[] = () => []) {
  const clock = new FakeClock(1_000);
  const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 10, jitter: 'none', clock, budget });
  const breaker = new CircuitBreakerPolicy({ failureThreshold: 100, recoveryTimeout: 1_000, clock });
  const timeout = new TimeoutPolicy({ duration: 50, clock });
  const composed = new ComposedPolicy([retry, breaker, timeout, ...extra(clock)], 'stack', { fuse });
  expect(isFused(composed)).toBe(fuse);
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

describe.each([
  ['fused', true],
  ['layered', false],
])('a composed stack with a retry budget (%s)', (_, fuse) => {
  it('records each call exactly once, successes included', async () => {
    const budget = new CountingBudget();
    const { clock, composed } = stack(fuse, budget);
    for (let i = 0; i < 5; i++) expect(await outcome(clock, composed.execute(() => Promise.resolve(i)))).toEqual({ value: i });
    expect(budget.calls).toBe(5);
    expect(budget.asked).toBe(0);
  });

  it('asks before each retry, and rethrows the ORIGINAL error once refused', async () => {
    const budget = new CountingBudget();
    const { clock, retry, composed } = stack(fuse, budget);
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
    const { clock, composed } = stack(fuse, budget, (c) => [
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
    const { clock, breaker, composed } = stack(fuse, budget, (c) => [new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1, clock: c })]);
    let release: () => void = () => undefined;
    const first = composed.execute(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    const queued = composed.execute(() => Promise.resolve('queued')); // leaves the fused path: the bulkhead is full
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
    const { clock, composed } = stack(fuse, budget);
    const scope = ExecutionScope.cancellable();
    scope.abort(new Error('gone'));
    await outcome(clock, composed.run(() => 'never', scope));
    expect(budget.calls).toBe(0);
  });
});

describe('fused and layered stacks with a token bucket', () => {
  it('book the same calls, retries and refusals (property)', async () => {
    type Step = { kind: 'call'; fail: boolean; hang: boolean } | { kind: 'tick'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), fail: fc.boolean(), hang: fc.boolean() }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400 }) }),
    );
    const play = async (steps: Step[], fuse: boolean) => {
      const clock = new FakeClock(1_000);
      const budget = new TokenBucketRetryBudget({ ratio: 0.2, minRetriesPerSecond: 2, maxTokens: 3, clock });
      const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 10, jitter: 'none', clock, budget });
      const composed = new ComposedPolicy(
        [retry, new CircuitBreakerPolicy({ failureThreshold: 4, recoveryTimeout: 300, clock }), new TimeoutPolicy({ duration: 50, clock })],
        'stack',
        { fuse },
      );
      const outcomes: string[] = [];
      const pending: Promise<void>[] = [];
      for (const s of steps) {
        if (s.kind === 'tick') {
          await clock.tickAsync(s.ms);
          continue;
        }
        const index = outcomes.push('pending') - 1;
        pending.push(
          composed
            .execute(() => (s.hang ? new Promise<string>(() => undefined) : s.fail ? Promise.reject(new Error('fail')) : Promise.resolve('ok')))
            .then(
              (value) => void (outcomes[index] = value),
              (error: Error) => void (outcomes[index] = error.name),
            ),
        );
        await flushMicrotasks();
      }
      await clock.tickAsync(10_000);
      await Promise.all(pending);
      return { outcomes, stats: retry.stats, exhausted: retry.budgetExhaustedCount, budget: budget.drain(), tokens: budget.tokens };
    };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const fused = await play(steps, true);
        expect(fused).toEqual(await play(steps, false));
        expect(fused.budget.calls).toBe(steps.filter((s) => s.kind === 'call').length);
        expect(fused.budget.refused).toBe(fused.exhausted);
      }),
      { numRuns: 100 },
    );
  });
});
