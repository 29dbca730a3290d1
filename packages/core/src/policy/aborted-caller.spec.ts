import { describe, expect, it } from '@jest/globals';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock } from '../clock/fake-clock.js';
import { composePolicies } from '../composition/compose-policies.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import type { ResiliencePolicy } from './policy.interface.js';

/** Every policy alone and composed, with everything each counts or reports. */
function policies(clock: FakeClock) {
  const events: string[] = [];
  const breaker = new CircuitBreakerPolicy({ name: 'cb', failureThreshold: 1, recoveryTimeout: 1_000, clock });
  breaker.onCallOutcome(({ outcome }) => events.push(`breaker:${outcome}`));
  breaker.onStateChange(({ to }) => events.push(`breaker->${to}`));
  const retry = new RetryPolicy({ name: 'retry', clock });
  retry.onRetry(() => events.push('retry:retry'));
  retry.onGiveUp(() => events.push('retry:give-up'));
  const fallback = new FallbackPolicy({ name: 'fallback', value: 'fallback', clock });
  fallback.onFallback(() => events.push('fallback'));
  const timeout = new TimeoutPolicy({ name: 'timeout', duration: 100, clock });
  timeout.onTimeout(() => events.push('timeout'));
  const bulkhead = new BulkheadPolicy({ name: 'bulkhead', maxConcurrent: 1, maxQueue: 1 });
  bulkhead.onRejected(() => events.push('bulkhead:rejected'));
  const counts = (): unknown => ({
    breaker: breaker.snapshot().calls,
    retry: retry.stats,
    fallback: fallback.fallbackCount,
    timeout: [timeout.timeoutCount, timeout.pendingCount],
    bulkhead: [bulkhead.running, bulkhead.queued, bulkhead.rejectedCount],
  });
  return { breaker, retry, fallback, timeout, bulkhead, events, counts };
}

type Built = ReturnType<typeof policies>;
const CASES: [string, (built: Built) => ResiliencePolicy][] = [
  ['circuit breaker', (p) => p.breaker],
  ['retry', (p) => p.retry],
  ['fallback', (p) => p.fallback],
  ['timeout', (p) => p.timeout],
  ['bulkhead', (p) => p.bulkhead],
  ['the full composition', (p) => composePolicies(p.fallback, p.retry, p.breaker, p.timeout, p.bulkhead)],
  ['fallback around a breaker', (p) => composePolicies(p.fallback, p.breaker)],
];

describe.each(CASES)('an already-aborted caller signal (%s)', (_label, pick) => {
  it('is answered with its reason: nothing runs, nothing is counted or reported', async () => {
    const clock = new FakeClock();
    const built = policies(clock);
    const before = built.counts();
    const controller = new AbortController();
    const reason = new Error('the caller left');
    controller.abort(reason);
    let ran = 0;
    const outcome = pick(built)
      .execute(async () => ++ran, controller.signal)
      .catch((error: unknown) => error);
    await clock.runAllAsync();
    expect(await outcome).toBe(reason);
    expect(ran).toBe(0);
    expect(built.counts()).toEqual(before);
    expect(built.events).toEqual([]);
  });

  it('is answered with its reason, not CircuitOpenError, by an open or half-open breaker, which keeps its trial', async () => {
    const clock = new FakeClock();
    const built = policies(clock);
    await built.breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(built.breaker.state).toBe('open');
    const reason = new Error('the caller left');
    const aborted = AbortSignal.abort(reason);
    await expect(pick(built).execute(async () => 1, aborted)).rejects.toBe(reason);
    clock.advance(1_000); // recovery time over: the next call is the trial
    await expect(pick(built).execute(async () => 1, aborted)).rejects.toBe(reason);
    const calls = built.breaker.snapshot().calls;
    expect(calls.notPermitted).toBe(0);
    // The trial is still there for a caller who waits for it.
    expect(await built.breaker.execute(async () => 'trial')).toBe('trial');
    expect(built.breaker.state).toBe('closed');
  });
});

describe("a call that ends because its caller's budget ran out", () => {
  it('is not a failure of the dependency: the breaker ignores it, whatever the client sends', async () => {
    const clock = new FakeClock();
    const built = policies(clock);
    const stack = composePolicies(built.fallback, built.breaker, built.timeout);
    // A client sending 1 ms deadlines (an outer call's deadline, earlier than the stack's own).
    const outer = new TimeoutPolicy({ name: 'request budget', duration: 1, clock });
    for (let i = 0; i < 5; i++) {
      const call = outer.execute(() => stack.execute(() => new Promise<never>(() => undefined))).catch((error: unknown) => error);
      await clock.tickAsync(1);
      expect(await call).toMatchObject({ name: 'TimeoutError', policyName: 'request budget' });
    }
    expect(built.breaker.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0, ignored: 5 } });
    expect(built.fallback.fallbackCount).toBe(0);
    // The stack's own timeout is still a failure, and falls back.
    const own = stack.execute(() => new Promise<never>(() => undefined));
    await clock.tickAsync(100);
    expect(await own).toBe('fallback');
    expect(built.breaker.snapshot().calls.failure).toBe(1);
  });

  it("is ignored when the downstream answers its caller's abort with an error of its own (axios' CanceledError, a driver's)", async () => {
    const clock = new FakeClock();
    const built = policies(clock);
    const stack = composePolicies(built.fallback, built.breaker);
    const controller = new AbortController();
    // A client library that rejects with its own error, not the signal's reason.
    const downstream = (signal: AbortSignal): Promise<never> =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('canceled')), { once: true }));
    const call = stack.execute(({ signal }) => downstream(signal), controller.signal).catch((error: unknown) => error);
    controller.abort(new Error('the client went away'));
    expect(await call).toMatchObject({ message: 'canceled' });
    expect(built.breaker.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0, ignored: 1 } });
    expect(built.fallback.fallbackCount).toBe(0);
  });
});
