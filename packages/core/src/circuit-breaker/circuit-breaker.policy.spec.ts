import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { systemClock } from '../clock/clock.js';
import { ComposedPolicy } from '../composition/compose-policies.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { FakeClock } from '../clock/fake-clock.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { ResilienceError } from '../errors/resilience.error.js';
import type { CircuitBreakerCallOutcome, CircuitBreakerStateChange } from './circuit-breaker.events.js';
import { DEFAULT_CIRCUIT_BREAKER_OPTIONS } from './circuit-breaker.options.js';
import { CircuitBreakerPolicy, type CircuitBreakerPolicyOptions } from './circuit-breaker.policy.js';

class Boom extends Error {}
class NotFound extends Error {}
class NotFoundSubclass extends NotFound {}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = string>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(options: CircuitBreakerPolicyOptions = {}) {
  const clock = new FakeClock(1_000);
  const breaker = new CircuitBreakerPolicy({ name: 'pricing', clock, ...options });
  const changes: CircuitBreakerStateChange[] = [];
  const outcomes: CircuitBreakerCallOutcome[] = [];
  breaker.onStateChange((change) => changes.push(change));
  breaker.onCallOutcome((outcome) => outcomes.push(outcome));
  return { clock, breaker, changes, outcomes };
}

/** Runs one call and returns what it settled with, never throwing. */
async function settle<T>(breaker: CircuitBreakerPolicy, operation: () => T | PromiseLike<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await breaker.execute(operation) };
  } catch (error) {
    return { error };
  }
}

const failing = (error: unknown = new Boom('down')) => (): Promise<never> => Promise.reject(error);
const succeeding = (): Promise<string> => Promise.resolve('ok');

async function fail(breaker: CircuitBreakerPolicy, times: number, error?: unknown): Promise<void> {
  for (let i = 0; i < times; i++) await settle(breaker, failing(error));
}

async function succeed(breaker: CircuitBreakerPolicy, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await settle(breaker, succeeding);
}

/** A call taking `ms` on the fake clock, then failing or succeeding. */
function timed(clock: FakeClock, ms: number, failure = false) {
  return (): string => {
    clock.advance(ms);
    if (failure) throw new Boom('slow failure');
    return 'done';
  };
}

/** Moves an open breaker past its recovery time and starts a trial call that stays pending: half-open. */
function startTrial(breaker: CircuitBreakerPolicy, clock: FakeClock, ms: number): Deferred<string> {
  clock.advance(ms);
  const trial = deferred();
  void breaker.execute(() => trial.promise).catch(() => undefined);
  return trial;
}

function transitions(changes: readonly CircuitBreakerStateChange[]): string[] {
  return changes.map((c) => `${c.from}->${c.to}:${c.reason}@${c.at}`);
}

describe('CircuitBreakerPolicy defaults', () => {
  it('is a closed circuit-breaker policy named circuit-breaker with the default options', () => {
    const breaker = new CircuitBreakerPolicy();
    expect(breaker.kind).toBe('circuit-breaker');
    expect(breaker.name).toBe('circuit-breaker');
    expect(breaker.critical).toBe(false);
    expect(breaker.state).toBe('closed');
    expect(breaker.options).toEqual(DEFAULT_CIRCUIT_BREAKER_OPTIONS);
    expect(Object.isFrozen(breaker.options)).toBe(true);
  });

  it('reads the system clock by default, and reports its times as wall-clock epoch milliseconds', async () => {
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 1 });
    const before = Date.now();
    await fail(breaker, 1);
    const { openedAt, nextAttemptAt } = breaker.snapshot();
    // Converted from the monotonic clock as of the read: within a millisecond of the wall clock.
    expect(openedAt).toBeGreaterThanOrEqual(before - 1);
    expect(openedAt).toBeLessThanOrEqual(Date.now() + 1);
    expect(Math.abs(nextAttemptAt! - (openedAt! + 30_000))).toBeLessThan(2);
    expect(systemClock.toWallTime).toBeDefined();
  });

  it('opens after 5 consecutive failures (failureThreshold 5)', async () => {
    const { breaker } = setup();
    await fail(breaker, 4);
    expect(breaker.state).toBe('closed');
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('stays open 30 000 ms (recoveryTimeout)', async () => {
    const { breaker, clock } = setup();
    await fail(breaker, 5);
    clock.advance(29_999);
    expect((await settle(breaker, succeeding)).error).toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    expect(breaker.state).toBe('open'); // due, but only a call starts the trial
    await expect(breaker.execute(succeeding)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('admits 1 trial call at a time when half-open (halfOpenMaxCalls 1)', async () => {
    const { breaker, clock } = setup();
    await fail(breaker, 5);
    clock.advance(30_000);
    const trial = deferred();
    const first = breaker.execute(() => trial.promise);
    const second = await settle(breaker, succeeding);
    expect(second.error).toBeInstanceOf(CircuitOpenError);
    trial.resolve('fine');
    await expect(first).resolves.toBe('fine');
    expect(breaker.state).toBe('closed');
  });

  it('counts every thrown value as a failure (isFailure)', async () => {
    const { breaker } = setup();
    for (const thrown of [new Error('e'), 'text', undefined, null, 0]) await fail(breaker, 1, thrown);
    expect(breaker.state).toBe('open');
  });

  it('treats no call as slow (slowCallDurationThreshold Infinity)', async () => {
    const { breaker, clock } = setup({ window: { type: 'count', size: 10 }, minimumCalls: 1, slowCallRateThreshold: 1 });
    await settle(breaker, timed(clock, 1e9));
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().calls.slow).toBe(0);
  });

  it('in rate mode needs 10 calls (minimumCalls) and a 50 % failure rate (failureRateThreshold)', async () => {
    const { breaker } = setup({ window: { type: 'count', size: 100 } });
    await fail(breaker, 9);
    expect(breaker.state).toBe('closed'); // 100 % failed, but only 9 calls
    await succeed(breaker, 1);
    expect(breaker.snapshot().failureRate).toBe(90);
    expect(breaker.state).toBe('open'); // the 10th call allows a verdict

    const second = setup({ window: { type: 'count', size: 100 } }).breaker;
    await succeed(second, 6);
    await fail(second, 4); // 40 %
    expect(second.state).toBe('closed');
    await fail(second, 2); // 6 of 12 = 50 %
    expect(second.state).toBe('open');
  });

  it('in rate mode opens on slow calls only when all of them are slow (slowCallRateThreshold 100)', async () => {
    const { breaker, clock } = setup({ window: { type: 'count', size: 10 }, slowCallDurationThreshold: 100 });
    await settle(breaker, timed(clock, 50));
    for (let i = 0; i < 9; i++) await settle(breaker, timed(clock, 101));
    expect(breaker.snapshot().slowCallRate).toBe(90);
    expect(breaker.state).toBe('closed');
    await settle(breaker, timed(clock, 101)); // the fast call is evicted: 10 of 10 slow
    expect(breaker.state).toBe('open');
  });

  it('is not critical and fails fast without a stack trace by default', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    expect(breaker.snapshot().critical).toBe(false);
    await fail(breaker, 1);
    const { error } = await settle(breaker, succeeding);
    expect((error as Error).stack!.split('\n')).toEqual([(error as Error).stack]);
  });
});

describe('CircuitBreakerPolicy transitions', () => {
  it('closed -> open after consecutive failures; a success resets the run', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 3 });
    await fail(breaker, 2);
    await succeed(breaker, 1);
    await fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().failureCount).toBe(2);
    clock.advance(7);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ name: 'pricing', from: 'closed', to: 'open', at: 1_007, reason: 'failure-threshold' }]);
  });

  it('rejects while open without calling the operation', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await fail(breaker, 1);
    let called = 0;
    const { error } = await settle(breaker, () => {
      called++;
      return 'x';
    });
    expect(called).toBe(0);
    expect(error).toBeInstanceOf(CircuitOpenError);
  });

  it('open -> half-open when the clock passes the recovery timeout, on the next call, with no timer', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 500 });
    await fail(breaker, 1);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(499);
    expect(breaker.trialDue).toBe(false);
    clock.advance(300);
    expect(changes).toHaveLength(1); // nothing happens until a call comes
    expect(breaker.state).toBe('open');
    expect(breaker.trialDue).toBe(true);
    startTrial(breaker, clock, 0);
    expect(breaker.state).toBe('half-open');
    expect(changes[1]).toEqual({ name: 'pricing', from: 'open', to: 'half-open', at: 1_799, reason: 'recovery-timeout' });
    expect(breaker.trialDue).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('half-open -> closed on a successful trial, clearing the counts', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 2, recoveryTimeout: 100 });
    await fail(breaker, 2);
    clock.advance(100);
    await expect(breaker.execute(succeeding)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(transitions(changes)).toEqual([
      'closed->open:failure-threshold@1000',
      'open->half-open:recovery-timeout@1100',
      'half-open->closed:half-open-success@1100',
    ]);
    const snapshot = breaker.snapshot();
    expect(snapshot).toMatchObject({ failureCount: 0, totalCalls: 0, failureRate: 0, openedAt: null, nextAttemptAt: null });
    expect(snapshot.calls).toEqual({ success: 1, failure: 2, ignored: 0, notPermitted: 0, slow: 0 });
    // Closed again, it needs a full run of failures to re-open.
    await fail(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('half-open -> open on a failed trial, restarting the recovery timeout', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    await fail(breaker, 1);
    clock.advance(150);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(transitions(changes)).toEqual([
      'closed->open:failure-threshold@1000',
      'open->half-open:recovery-timeout@1150',
      'half-open->open:half-open-failure@1150',
    ]);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 1_150, nextAttemptAt: 1_250 });
    clock.advance(99);
    expect((await settle(breaker, succeeding)).error).toBeInstanceOf(CircuitOpenError);
    startTrial(breaker, clock, 1);
    expect(breaker.state).toBe('half-open');
  });

  it.each(['closed', 'open', 'half-open', 'disabled'] as const)('%s -> forced-open rejects everything until reset', async (from) => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    if (from !== 'closed') await fail(breaker, 1);
    if (from === 'half-open') startTrial(breaker, clock, 100);
    if (from === 'disabled') breaker.disable();
    expect(breaker.state).toBe(from);
    changes.length = 0;
    clock.advance(5);
    breaker.forceOpen();
    breaker.forceOpen(); // idempotent: one event
    const at = clock.now();
    expect(changes).toEqual([{ name: 'pricing', from, to: 'forced-open', at, reason: 'manual' }]);
    clock.advance(1e9);
    expect(breaker.state).toBe('forced-open');
    const { error } = await settle(breaker, succeeding);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAfterMs).toBe(Infinity);
    expect((error as Error).message).toBe('Circuit breaker "pricing" is forced-open');
    expect(breaker.snapshot()).toMatchObject({ state: 'forced-open', openedAt: at, nextAttemptAt: null });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(changes[1]).toMatchObject({ from: 'forced-open', to: 'closed', reason: 'manual' });
    await expect(breaker.execute(succeeding)).resolves.toBe('ok');
  });

  it.each(['closed', 'open', 'half-open', 'forced-open'] as const)('%s -> disabled permits everything and never opens', async (from) => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    if (from === 'open' || from === 'half-open') await fail(breaker, 1);
    if (from === 'half-open') startTrial(breaker, clock, 100);
    if (from === 'forced-open') breaker.forceOpen();
    expect(breaker.state).toBe(from);
    changes.length = 0;
    breaker.disable();
    breaker.disable();
    expect(changes).toEqual([{ name: 'pricing', from, to: 'disabled', at: clock.now(), reason: 'manual' }]);
    const before = breaker.snapshot().calls;
    await fail(breaker, 20);
    await succeed(breaker, 3);
    expect(breaker.state).toBe('disabled');
    const snapshot = breaker.snapshot();
    expect(snapshot).toMatchObject({ failureCount: 0, totalCalls: 0, failureRate: 0, openedAt: null, nextAttemptAt: null });
    // Cumulative counters still count, for metrics.
    expect(snapshot.calls.failure - before.failure).toBe(20);
    expect(snapshot.calls.success - before.success).toBe(3);
    breaker.reset();
    expect(breaker.state).toBe('closed');
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('reset() from open goes back to closed with counts cleared; close() is the same', async () => {
    const { breaker, changes } = setup({ failureThreshold: 3 });
    await fail(breaker, 3);
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(changes[1]).toEqual({ name: 'pricing', from: 'open', to: 'closed', at: 1_000, reason: 'manual' });
    expect(breaker.snapshot()).toMatchObject({ failureCount: 0, totalCalls: 0, openedAt: null });
    await fail(breaker, 3);
    breaker.close();
    expect(breaker.state).toBe('closed');
    expect(transitions(changes).slice(2)).toEqual(['closed->open:failure-threshold@1000', 'open->closed:manual@1000']);
  });

  it('reset() while closed clears the counts without an event, and calls in flight no longer count', async () => {
    const { breaker, changes } = setup({ failureThreshold: 2 });
    await fail(breaker, 1);
    const inFlight = deferred();
    const call = breaker.execute(() => inFlight.promise);
    breaker.reset();
    expect(changes).toEqual([]);
    expect(breaker.snapshot().failureCount).toBe(0);
    inFlight.reject(new Boom('late'));
    await call.catch(() => undefined);
    await fail(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().failureCount).toBe(1);
  });

  it('never schedules a timer', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 10, window: { type: 'time', durationMs: 1_000 }, minimumCalls: 1 });
    await fail(breaker, 1);
    clock.advance(10);
    await succeed(breaker, 3);
    breaker.snapshot();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('CircuitBreakerPolicy half-open with several trial calls', () => {
  async function halfOpen(options: CircuitBreakerPolicyOptions) {
    const context = setup({ failureThreshold: 1, recoveryTimeout: 100, ...options });
    await fail(context.breaker, options.window ? 10 : 1);
    expect(context.breaker.state).toBe('open');
    context.clock.advance(100);
    return context;
  }

  it('admits N concurrent trials, rejects the N+1th, and closes once all N succeeded', async () => {
    const { breaker, changes } = await halfOpen({ halfOpenMaxCalls: 3 });
    const trials = [deferred(), deferred(), deferred()];
    const calls = trials.map((trial) => breaker.execute(() => trial.promise));
    const rejected = await settle(breaker, succeeding);
    expect(rejected.error).toBeInstanceOf(CircuitOpenError);
    expect((rejected.error as Error).message).toBe('Circuit breaker "pricing" is half-open');
    trials[0]!.resolve('a');
    trials[1]!.resolve('b');
    await Promise.all(calls.slice(0, 2));
    expect(breaker.state).toBe('half-open');
    trials[2]!.resolve('c');
    await expect(Promise.all(calls)).resolves.toEqual(['a', 'b', 'c']);
    expect(breaker.state).toBe('closed');
    expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'closed', reason: 'half-open-success' });
  });

  it('re-opens at the first failed trial (consecutive mode); later trial successes change nothing', async () => {
    const { breaker, changes } = await halfOpen({ halfOpenMaxCalls: 3 });
    const trials = [deferred(), deferred(), deferred()];
    const calls = trials.map((trial) => breaker.execute(() => trial.promise));
    trials[0]!.resolve('a');
    await calls[0];
    trials[1]!.reject(new Boom('still down'));
    await calls[1]!.catch(() => undefined);
    expect(breaker.state).toBe('open');
    trials[2]!.resolve('late');
    await calls[2];
    expect(breaker.state).toBe('open');
    expect(transitions(changes).slice(-1)).toEqual(['half-open->open:half-open-failure@1100']);
  });

  it('rate mode: opens as soon as the trial failures reach the threshold', async () => {
    const { breaker, clock } = await halfOpen({ halfOpenMaxCalls: 4, window: { type: 'count', size: 10 }, failureRateThreshold: 50 });
    await succeed(breaker, 1);
    await fail(breaker, 1);
    expect(breaker.state).toBe('half-open');
    clock.advance(3);
    await fail(breaker, 1); // 2 of 4 will fail whatever comes next
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot().openedAt).toBe(1_103);
  });

  it('rate mode: closes as soon as the remaining trials cannot reach the threshold', async () => {
    const { breaker } = await halfOpen({ halfOpenMaxCalls: 4, window: { type: 'count', size: 10 }, failureRateThreshold: 50 });
    await fail(breaker, 1);
    await succeed(breaker, 1);
    expect(breaker.state).toBe('half-open'); // 2 more failures would make 3 of 4
    await succeed(breaker, 1);
    expect(breaker.state).toBe('half-open'); // 1 more failure would make 2 of 4 = 50 %
    await succeed(breaker, 1);
    expect(breaker.state).toBe('closed'); // 1 of 4
  });

  it('rate mode: waits for every trial when slow calls could still decide', async () => {
    const { breaker, clock } = await halfOpen({
      halfOpenMaxCalls: 2,
      window: { type: 'count', size: 10 },
      failureRateThreshold: 100,
      slowCallDurationThreshold: 50,
      slowCallRateThreshold: 50,
    });
    await succeed(breaker, 1); // fast: a slow second trial would still make 50 %
    expect(breaker.state).toBe('half-open');
    await settle(breaker, timed(clock, 60));
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreakerPolicy sliding windows', () => {
  it('count window: judges the last `size` calls, caps minimumCalls at the size, and reports them', async () => {
    const { breaker, changes } = setup({ window: { type: 'count', size: 4 }, failureRateThreshold: 75 });
    await fail(breaker, 2);
    await succeed(breaker, 2);
    expect(breaker.snapshot()).toMatchObject({ totalCalls: 4, failureCount: 2, successCount: 2, failureRate: 50 });
    await succeed(breaker, 2); // evicts both failures
    expect(breaker.snapshot()).toMatchObject({ totalCalls: 4, failureCount: 0, successCount: 4, failureRate: 0 });
    await fail(breaker, 2);
    expect(breaker.state).toBe('closed'); // 2 of 4
    await fail(breaker, 1);
    expect(breaker.state).toBe('open'); // 3 of 4 = 75 %, minimumCalls 10 capped at 4
    expect(changes[0]).toMatchObject({ to: 'open', reason: 'failure-rate' });
  });

  it('count window: reports rates with one decimal', async () => {
    const { breaker } = setup({ window: { type: 'count', size: 3 } });
    await fail(breaker, 1);
    await succeed(breaker, 2);
    expect(breaker.snapshot()).toMatchObject({ failureRate: 33.3, totalCalls: 3 });
  });

  it('time window: counts the calls of the last durationMs in tenth-of-duration buckets', async () => {
    const { breaker, clock } = setup({ window: { type: 'time', durationMs: 10_000 }, minimumCalls: 4 });
    // Clock starts at 1_000: bucket [1_000, 2_000).
    await fail(breaker, 2);
    clock.advance(5_000);
    await succeed(breaker, 2);
    expect(breaker.snapshot()).toMatchObject({ totalCalls: 4, failureCount: 2, successCount: 2, failureRate: 50 });
    expect(breaker.state).toBe('open'); // 2 of 4 failed: 50 %
    breaker.reset();
    await fail(breaker, 1); // at 6_000
    await succeed(breaker, 2);
    clock.advance(9_999); // 15_999: the bucket [6_000, 7_000) is still one of the last ten
    expect(breaker.snapshot().totalCalls).toBe(3);
    clock.advance(1); // 16_000: it has slid out
    expect(breaker.snapshot()).toMatchObject({ totalCalls: 0, failureCount: 0, failureRate: 0 });
    expect(breaker.state).toBe('closed');
  });

  it('time window: stale calls never count toward minimumCalls', async () => {
    const { breaker, clock } = setup({ window: { type: 'time', durationMs: 1_000 }, minimumCalls: 3 });
    await fail(breaker, 2);
    clock.advance(1_000);
    await fail(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot()).toMatchObject({ totalCalls: 1, failureCount: 1 });
    await fail(breaker, 2);
    expect(breaker.state).toBe('open');
  });

  it('slow calls: a call slower than the threshold is slow and still a success or failure', async () => {
    const { breaker, clock, changes, outcomes } = setup({
      window: { type: 'count', size: 10 },
      minimumCalls: 4,
      failureRateThreshold: 100,
      slowCallDurationThreshold: 100,
      slowCallRateThreshold: 50,
    });
    await settle(breaker, timed(clock, 100)); // exactly the threshold: not slow
    await settle(breaker, timed(clock, 101));
    await settle(breaker, timed(clock, 5, true));
    expect(breaker.snapshot()).toMatchObject({ slowCallCount: 1, slowCallRate: 33.3, failureCount: 1, successCount: 2 });
    expect(outcomes.map((o) => [o.outcome, o.durationMs])).toEqual([
      ['success', 100],
      ['success', 101],
      ['failure', 5],
    ]);
    await settle(breaker, timed(clock, 250, true)); // 2 of 4 slow
    expect(breaker.state).toBe('open');
    expect(changes[0]).toMatchObject({ reason: 'slow-call-rate' });
    expect(breaker.snapshot().calls).toEqual({ success: 2, failure: 2, ignored: 0, notPermitted: 0, slow: 2 });
  });

  it('consecutive mode: slow calls are reported over the last 100 calls but never open the breaker', async () => {
    const { breaker, clock } = setup({ slowCallDurationThreshold: 10, slowCallRateThreshold: 1 });
    for (let i = 0; i < 120; i++) await settle(breaker, timed(clock, 20));
    await fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot()).toMatchObject({ totalCalls: 100, slowCallCount: 98, slowCallRate: 98, failureCount: 2, failureRate: 2, successCount: 98 });
  });
});

describe('CircuitBreakerPolicy ignore and isFailure', () => {
  it('ignored errors are neither success nor failure, and are rethrown unchanged', async () => {
    const { breaker, outcomes } = setup({ failureThreshold: 3, ignore: [NotFound] });
    await fail(breaker, 2);
    const error = new NotFoundSubclass('gone');
    expect((await settle(breaker, failing(error))).error).toBe(error);
    expect(breaker.snapshot()).toMatchObject({ failureCount: 2, totalCalls: 2 });
    expect(outcomes.at(-1)).toEqual({ name: 'pricing', outcome: 'ignored', durationMs: 0, error });
    await fail(breaker, 1);
    expect(breaker.state).toBe('open'); // the ignored error did not reset the run
    expect(breaker.snapshot().calls).toMatchObject({ failure: 3, ignored: 1, success: 0 });
  });

  it('an ignored half-open trial releases its permit', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 10, ignore: [NotFound] });
    await fail(breaker, 1);
    clock.advance(10);
    await fail(breaker, 1, new NotFound('nothing'));
    expect(breaker.state).toBe('half-open');
    await succeed(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('isFailure(error) === false counts the error as a success', async () => {
    const { breaker, outcomes } = setup({ failureThreshold: 2, isFailure: (error) => !(error instanceof NotFound) });
    await fail(breaker, 1);
    const error = new NotFound('no such sku');
    expect((await settle(breaker, failing(error))).error).toBe(error);
    expect(outcomes.at(-1)).toEqual({ name: 'pricing', outcome: 'success', durationMs: 0, error });
    await fail(breaker, 1);
    expect(breaker.state).toBe('closed'); // the success reset the run
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot().calls).toMatchObject({ success: 1, failure: 3 });
  });

  it('a predicate that throws or returns a non-boolean leaves the error a failure', async () => {
    const { breaker } = setup({
      failureThreshold: 2,
      isFailure: ((error: unknown) => {
        if (error === 'explode') throw new Error('predicate bug');
        return undefined;
      }) as never,
    });
    await fail(breaker, 1, 'explode');
    await fail(breaker, 1, 'other');
    expect(breaker.state).toBe('open');
  });

  it('an ignore class whose instanceof check throws does not break bookkeeping', async () => {
    const Hostile = class {
      static [Symbol.hasInstance](): boolean {
        throw new Error('hostile');
      }
    };
    const { breaker } = setup({ failureThreshold: 1, ignore: [Hostile] });
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreakerPolicy under concurrency', () => {
  it('40 concurrent failing calls open a threshold-5 breaker exactly once', async () => {
    const { breaker, changes } = setup();
    const calls = Array.from({ length: 40 }, () => deferred());
    const results = calls.map((call) => breaker.execute(() => call.promise).catch((error: unknown) => error));
    const errors = calls.map((_, i) => new Boom(`down ${i}`));
    calls.forEach((call, i) => call.reject(errors[i]));
    expect(await Promise.all(results)).toEqual(errors);
    expect(transitions(changes)).toEqual(['closed->open:failure-threshold@1000']);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', failureCount: 5, totalCalls: 5 });
    expect(breaker.snapshot().calls.failure).toBe(40);
  });

  it('40 calls failing synchronously in a row open it once and reject the rest without calling them', async () => {
    const { breaker, changes } = setup();
    let invoked = 0;
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        settle(breaker, () => {
          invoked++;
          throw new Boom('sync');
        }),
      ),
    );
    // A synchronous throw is booked at once: the fifth opens the breaker, the other 35 never run.
    expect(invoked).toBe(5);
    expect(results.slice(0, 5).every((r) => r.error instanceof Boom)).toBe(true);
    expect(results.slice(5).every((r) => r.error instanceof CircuitOpenError)).toBe(true);
    expect(changes).toHaveLength(1);
    expect(breaker.snapshot().calls).toMatchObject({ failure: 5, notPermitted: 35 });
  });

  it('a late success admitted while closed does not count as a half-open trial', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 2, recoveryTimeout: 100 });
    const old = deferred();
    const oldCall = breaker.execute(() => old.promise);
    await fail(breaker, 2);
    clock.advance(100);
    const trial = deferred();
    const trialCall = breaker.execute(() => trial.promise);
    old.resolve('late');
    await expect(oldCall).resolves.toBe('late');
    expect(breaker.state).toBe('half-open');
    trial.reject(new Boom('still down'));
    await trialCall.catch(() => undefined);
    expect(breaker.state).toBe('open');
    expect(transitions(changes).map((t) => t.split('@')[0])).toEqual([
      'closed->open:failure-threshold',
      'open->half-open:recovery-timeout',
      'half-open->open:half-open-failure',
    ]);
  });

  it('a late trial success does not close a re-opened breaker, in open or in the next half-open', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100, halfOpenMaxCalls: 2 });
    await fail(breaker, 1);
    clock.advance(100);
    const slowTrial = deferred();
    const slowCall = breaker.execute(() => slowTrial.promise);
    await fail(breaker, 1); // second trial fails: re-opened
    expect(breaker.state).toBe('open');
    clock.advance(100);
    const newTrial = deferred();
    const newCall = breaker.execute(() => newTrial.promise);
    expect(breaker.state).toBe('half-open');
    slowTrial.resolve('late');
    await slowCall;
    expect(breaker.state).toBe('half-open'); // not closed by the previous round
    // ... and the late call did not take or release a permit of this round.
    const secondTrial = deferred();
    const secondCall = breaker.execute(() => secondTrial.promise);
    expect((await settle(breaker, succeeding)).error).toBeInstanceOf(CircuitOpenError);
    newTrial.resolve('a');
    await newCall;
    expect(breaker.state).toBe('half-open'); // one success of this round, not two
    secondTrial.resolve('b');
    await secondCall;
    expect(breaker.state).toBe('closed');
  });

  it('a trial that outlives forceOpen() and reset() changes nothing', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 10 });
    await fail(breaker, 1);
    clock.advance(10);
    const trial = deferred();
    const call = breaker.execute(() => trial.promise);
    breaker.forceOpen();
    breaker.reset();
    trial.reject(new Boom('late'));
    await call.catch(() => undefined);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failureCount: 0, totalCalls: 0 });
  });
});

describe('CircuitBreakerPolicy with hostile callees', () => {
  it.each<[string, unknown]>([
    ['a string', 'text'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
  ])('a rejection with %s is a failure, rethrown as is', async (_, thrown) => {
    const { breaker } = setup({ failureThreshold: 1 });
    const result = await settle(breaker, () => Promise.reject(thrown));
    expect('error' in result).toBe(true);
    expect(result.error).toBe(thrown);
    expect(breaker.state).toBe('open');
  });

  it('a synchronous throw becomes a rejection and a failure', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const error = new Boom('sync');
    const promise = breaker.execute(() => {
      throw error;
    });
    expect(promise).toBeInstanceOf(Promise);
    await expect(promise).rejects.toBe(error);
    expect(breaker.state).toBe('open');
  });

  it('a synchronous throw of undefined is still seen as a failure', async () => {
    const { breaker, outcomes } = setup({ failureThreshold: 1 });
    const result = await settle(breaker, () => {
      throw undefined;
    });
    expect('error' in result).toBe(true);
    expect(outcomes[0]).toEqual({ name: 'pricing', outcome: 'failure', durationMs: 0, error: undefined });
    expect('error' in outcomes[0]!).toBe(true);
    expect(breaker.state).toBe('open');
  });

  it('plain values and foreign thenables are returned unchanged', async () => {
    const { breaker } = setup();
    const value = { price: 3 };
    await expect(breaker.execute(() => value)).resolves.toBe(value);
    const thenable = { then: (resolve: (v: string) => void) => resolve('from thenable') } as unknown as PromiseLike<string>;
    await expect(breaker.execute(() => thenable)).resolves.toBe('from thenable');
    expect(breaker.snapshot().calls.success).toBe(2);
  });

  it('passes the execution context to the operation', async () => {
    const { breaker } = setup();
    const controller = new AbortController();
    const call = deferred();
    let signal: AbortSignal | undefined;
    const pending = breaker.execute((context) => {
      signal = context.signal;
      return call.promise;
    }, controller.signal);
    expect(signal!.aborted).toBe(false);
    controller.abort('stop');
    expect(signal!.aborted).toBe(true);
    call.resolve('done');
    await expect(pending).resolves.toBe('done');
  });

  it('a never-settling call while closed blocks nothing', async () => {
    const { breaker } = setup({ failureThreshold: 2 });
    void breaker.execute(() => new Promise<never>(() => undefined));
    await fail(breaker, 2);
    expect(breaker.state).toBe('open');
  });

  it('a never-settling half-open trial is abandoned after recoveryTimeout: the breaker re-opens, then tries again', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    await fail(breaker, 1);
    clock.advance(100);
    void breaker.execute(() => new Promise<never>(() => undefined));
    clock.advance(40);
    const rejected = await settle(breaker, succeeding);
    expect((rejected.error as CircuitOpenError).retryAfterMs).toBe(60);
    clock.advance(60);
    // The round's time is up, but only a call abandons it: a read still says half-open.
    expect(breaker.state).toBe('half-open');
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', nextAttemptAt: null });
    expect(changes.at(-1)).toMatchObject({ from: 'open', to: 'half-open' });
    expect((await settle(breaker, succeeding)).error).toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('open');
    expect(changes.at(-1)).toEqual({ name: 'pricing', from: 'half-open', to: 'open', at: 1_200, reason: 'half-open-timeout' });
    clock.advance(100);
    await expect(breaker.execute(succeeding)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('a throwing event listener does not break the breaker', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    breaker.onCallOutcome(() => {
      throw new Error('listener bug');
    });
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreakerPolicy rejections', () => {
  it('rejects with CircuitOpenError carrying the name, the state and the ms until half-open', async () => {
    const { breaker, clock, outcomes } = setup({ failureThreshold: 1, recoveryTimeout: 30_000 });
    await fail(breaker, 1);
    clock.advance(10_000);
    const { error } = await settle(breaker, succeeding);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(ResilienceError);
    const open = error as CircuitOpenError;
    expect(open.retryAfterMs).toBe(20_000);
    expect(open.breakerName).toBe('pricing');
    expect(open.policyName).toBe('pricing');
    expect(open.name).toBe('CircuitOpenError');
    expect(open.message).toBe('Circuit breaker "pricing" is open');
    expect(outcomes.at(-1)).toEqual({ name: 'pricing', outcome: 'not_permitted', durationMs: 0, error });
    expect(breaker.snapshot().calls.notPermitted).toBe(1);
  });

  it('has no captured stack frames by default, and one with captureStackTrace: true', async () => {
    const plain = setup({ failureThreshold: 1 }).breaker;
    await fail(plain, 1);
    const { error: fast } = await settle(plain, succeeding);
    expect((fast as Error).stack).toBe('CircuitOpenError: Circuit breaker "pricing" is open');

    const traced = setup({ failureThreshold: 1, captureStackTrace: true }).breaker;
    await fail(traced, 1);
    const { error: slow } = await settle(traced, succeeding);
    const lines = (slow as Error).stack!.split('\n');
    expect(lines[0]).toBe('CircuitOpenError: Circuit breaker "pricing" is open');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[1]).toMatch(/^\s+at /);
  });
});

describe('CircuitBreakerPolicy snapshot and events', () => {
  it('describes a closed breaker', async () => {
    const { breaker } = setup({ critical: true });
    expect(breaker.critical).toBe(true);
    expect(breaker.snapshot()).toEqual({
      name: 'pricing',
      state: 'closed',
      critical: true,
      failureCount: 0,
      successCount: 0,
      slowCallCount: 0,
      totalCalls: 0,
      failureRate: 0,
      slowCallRate: 0,
      openedAt: null,
      nextAttemptAt: null,
      calls: { success: 0, failure: 0, ignored: 0, notPermitted: 0, slow: 0 },
    });
  });

  it('describes open and half-open breakers', async () => {
    const { breaker, clock } = setup({ failureThreshold: 2, recoveryTimeout: 500 });
    await succeed(breaker, 1);
    clock.advance(20);
    await fail(breaker, 2);
    await settle(breaker, succeeding);
    expect(breaker.snapshot()).toEqual({
      name: 'pricing',
      state: 'open',
      critical: false,
      failureCount: 2,
      successCount: 1,
      slowCallCount: 0,
      totalCalls: 3,
      failureRate: 66.7,
      slowCallRate: 0,
      openedAt: 1_020,
      nextAttemptAt: 1_520,
      calls: { success: 1, failure: 2, ignored: 0, notPermitted: 1, slow: 0 },
    });
    clock.advance(600);
    // A trial is due: the snapshot says so (nextAttemptAt in the past) and moves nothing.
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 1_020, nextAttemptAt: 1_520 });
    startTrial(breaker, clock, 0);
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', openedAt: 1_020, nextAttemptAt: null });
  });

  it('reports call outcomes with the duration on the clock, and no error key on success', async () => {
    const { breaker, clock, outcomes } = setup();
    const call = deferred();
    const pending = breaker.execute(() => call.promise);
    clock.advance(42);
    call.resolve('v');
    await pending;
    expect(outcomes).toEqual([{ name: 'pricing', outcome: 'success', durationMs: 42 }]);
    expect('error' in outcomes[0]!).toBe(false);
  });

  it('stops notifying a disposed listener', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreakerPolicy({ clock, failureThreshold: 1 });
    const seen: string[] = [];
    const subscription = breaker.onStateChange((change) => seen.push(change.to));
    await fail(breaker, 1);
    subscription.dispose();
    breaker.reset();
    expect(seen).toEqual(['open']);
  });
});

describe('CircuitBreakerPolicy onRejected', () => {
  it('fires once per rejected call with the state and the time left, and not for admitted calls', async () => {
    const clock = new FakeClock(1_000);
    const breaker = new CircuitBreakerPolicy({ name: 'cb', failureThreshold: 1, recoveryTimeout: 100, clock });
    const seen: unknown[] = [];
    breaker.onRejected((event) => seen.push(event));
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(seen).toEqual([]);
    clock.advance(40);
    await breaker.execute(async () => 1).catch(() => undefined);
    expect(seen).toEqual([{ name: 'cb', state: 'open', retryAfterMs: 60, at: 1_040 }]);
    breaker.forceOpen();
    await breaker.execute(async () => 1).catch(() => undefined);
    expect(seen[1]).toMatchObject({ state: 'forced-open', retryAfterMs: Infinity });
  });
});

describe('CircuitBreakerPolicy durationHistogram', () => {
  it('buckets the duration of admitted calls (not ignored or rejected ones), cumulative, with sum and count', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 3, durationBuckets: [10, 100], ignore: [RangeError], clock });
    const timed = (ms: number, fail = false, error: Error = new Error('x')) =>
      breaker
        .execute(async () => {
          clock.advance(ms);
          if (fail) throw error;
        })
        .catch(() => undefined);
    await timed(5);
    await timed(10);
    await timed(50, true);
    await timed(500);
    await timed(7, true, new RangeError('ignored'));
    expect(breaker.durationHistogram).toEqual({ boundsMs: [10, 100], counts: [2, 1, 1], count: 4, sumMs: 565 });
    breaker.forceOpen();
    await timed(1);
    expect(breaker.durationHistogram!.count).toBe(4);
  });

  it('keeps none by default; enableDurationHistogram() starts one with 5 ms .. 10 s buckets', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreakerPolicy({ clock });
    expect(breaker.durationHistogram).toBeUndefined();
    breaker.enableDurationHistogram();
    await breaker.execute(async () => clock.advance(30));
    expect(breaker.durationHistogram).toEqual({
      boundsMs: [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000],
      counts: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      count: 1,
      sumMs: 30,
    });
    const never = new CircuitBreakerPolicy({ durationBuckets: false });
    never.enableDurationHistogram();
    expect(never.durationHistogram).toBeUndefined();
    expect(() => new CircuitBreakerPolicy({ name: 'p', durationBuckets: [10, 5] })).toThrow(
      'durationBuckets must be false or a non-empty ascending array of positive numbers (ms) (got array of 2)',
    );
  });
});

describe('CircuitBreakerPolicy reads have no side effects', () => {
  /** A shared store's sync that counts the trial leases it is asked for, granting them. */
  function countingSync() {
    const sync = { leases: 0, recordOutcome: () => undefined, acquireTrial: () => (sync.leases++, true) };
    return sync;
  }

  it('reading state or snapshot() of an open breaker past its recovery time moves nothing and asks no store for a trial', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    const sync = countingSync();
    breaker.attachSync(sync);
    await fail(breaker, 1);
    clock.advance(250);
    for (let i = 0; i < 3; i++) {
      expect(breaker.state).toBe('open');
      expect(breaker.trialDue).toBe(true);
      expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 1_000, nextAttemptAt: 1_100 });
    }
    expect(breaker.snapshot().nextAttemptAt!).toBeLessThan(clock.now()); // a trial is due
    expect(transitions(changes)).toEqual(['closed->open:failure-threshold@1000']);
    expect(sync.leases).toBe(0);
    // The next call starts the trial (and only it asks for the lease).
    await expect(breaker.execute(succeeding)).resolves.toBe('ok');
    expect(sync.leases).toBe(1);
    expect(transitions(changes)).toEqual([
      'closed->open:failure-threshold@1000',
      'open->half-open:recovery-timeout@1250',
      'half-open->closed:half-open-success@1250',
    ]);
  });

  it('a half-open round whose trials are all taken and whose time ran out reads half-open until a call', async () => {
    const { breaker, changes, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100, halfOpenMaxCalls: 2 });
    await fail(breaker, 1);
    startTrial(breaker, clock, 100);
    startTrial(breaker, clock, 0);
    clock.advance(500);
    expect(breaker.state).toBe('half-open');
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', nextAttemptAt: null });
    expect(changes.at(-1)).toMatchObject({ to: 'half-open' });
    expect((await settle(breaker, succeeding)).error).toBeInstanceOf(CircuitOpenError);
    expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'half-open-timeout', at: 1_600 });
  });
});

describe('CircuitBreakerPolicy isFailureResult', () => {
  type Answer = { status: number };
  const answer = (status: number) => (): Promise<Answer> => Promise.resolve({ status });
  const serverError = (value: unknown): boolean => typeof value === 'object' && value !== null && (value as Answer).status >= 500;

  it('counts a value the predicate flags as a failure, and still resolves the call with it', async () => {
    const { breaker, outcomes, changes } = setup({ failureThreshold: 2, isFailureResult: serverError });
    await expect(breaker.execute(answer(503))).resolves.toEqual({ status: 503 });
    await expect(breaker.execute(answer(200))).resolves.toEqual({ status: 200 }); // resets the run
    await expect(breaker.execute(answer(502))).resolves.toEqual({ status: 502 });
    await expect(breaker.execute(answer(500))).resolves.toEqual({ status: 500 });
    expect(breaker.state).toBe('open');
    expect(transitions(changes)).toEqual(['closed->open:failure-threshold@1000']);
    expect(breaker.snapshot().calls).toMatchObject({ success: 1, failure: 3 });
    expect(outcomes.map((o) => o.outcome)).toEqual(['failure', 'success', 'failure', 'failure']);
    expect(outcomes[0]).toEqual({ name: 'pricing', outcome: 'failure', durationMs: 0, result: { status: 503 } });
    expect(outcomes[1]).toEqual({ name: 'pricing', outcome: 'success', durationMs: 0 });
  });

  it('a trial whose value is flagged re-opens the breaker; one that is not closes it', async () => {
    const { breaker, clock, changes } = setup({ failureThreshold: 1, recoveryTimeout: 100, isFailureResult: serverError });
    await breaker.execute(answer(503));
    clock.advance(100);
    await expect(breaker.execute(answer(503))).resolves.toEqual({ status: 503 });
    expect(breaker.state).toBe('open');
    clock.advance(100);
    await breaker.execute(answer(204));
    expect(transitions(changes).map((t) => t.split('@')[0])).toEqual([
      'closed->open:failure-threshold',
      'open->half-open:recovery-timeout',
      'half-open->open:half-open-failure',
      'open->half-open:recovery-timeout',
      'half-open->closed:half-open-success',
    ]);
  });

  it('counts the value as a failure when the predicate throws (as isFailure does), and only a truthy answer flags it', async () => {
    const throwing = setup({ failureThreshold: 1, isFailureResult: () => { throw new Error('predicate bug'); } });
    await expect(throwing.breaker.execute(succeeding)).resolves.toBe('ok');
    expect(throwing.breaker.state).toBe('open');
    const forgetful = setup({ failureThreshold: 1, isFailureResult: (() => undefined) as never });
    await succeed(forgetful.breaker, 3);
    expect(forgetful.breaker.state).toBe('closed');
  });

  it('is validated and known', () => {
    expect(() => new CircuitBreakerPolicy({ name: 'p', isFailureResult: 'yes' as never })).toThrow(
      'p.isFailureResult must be a function (got "yes")',
    );
    expect(new CircuitBreakerPolicy({ isFailureResult: serverError }).options.isFailureResult).toBe(serverError);
    expect(DEFAULT_CIRCUIT_BREAKER_OPTIONS.isFailureResult).toBeUndefined();
  });

  it('works the same in a composition, with and without a timeout', async () => {
    for (const withTimeout of [true, false]) {
      const clock = new FakeClock(1_000);
      const breaker = new CircuitBreakerPolicy({ name: 'b', failureThreshold: 2, isFailureResult: serverError, clock });
      const policies = withTimeout ? [breaker, new TimeoutPolicy({ duration: 50, clock })] : [breaker, new BulkheadPolicy({ maxConcurrent: 5, clock })];
      const stack = new ComposedPolicy(policies, 'stack');
      await expect(stack.execute(answer(500))).resolves.toEqual({ status: 500 });
      await expect(stack.execute(answer(500))).resolves.toEqual({ status: 500 });
      expect(breaker.state).toBe('open');
      expect(breaker.snapshot().calls).toMatchObject({ success: 0, failure: 2 });
      await expect(stack.execute(answer(200))).rejects.toBeInstanceOf(CircuitOpenError);
    }
  });

  it('a flagged value fails each attempt of a retry, as a thrown error would', async () => {
    const clock = new FakeClock(1_000);
    const breaker = new CircuitBreakerPolicy({ name: 'b', failureThreshold: 3, isFailureResult: serverError, clock });
    const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 0, retryOnResult: serverError, clock });
    const stack = new ComposedPolicy([retry, breaker, new TimeoutPolicy({ duration: 50, clock })], 'stack');
    let attempts = 0;
    const result = await stack.execute(() => (attempts++, Promise.resolve({ status: 503 })));
    expect(result).toEqual({ status: 503 }); // retries ran out: the last result
    expect(attempts).toBe(3);
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreakerPolicy recoveryBackoff', () => {
  /** Opens the breaker, then fails `rounds` trial rounds in a row; returns the open periods seen. */
  async function reopen(breaker: CircuitBreakerPolicy, clock: FakeClock, rounds: number): Promise<number[]> {
    await fail(breaker, 1);
    const periods = [breaker.currentRecoveryTimeout];
    for (let i = 0; i < rounds; i++) {
      clock.advance(breaker.currentRecoveryTimeout);
      await fail(breaker, 1);
      periods.push(breaker.currentRecoveryTimeout);
    }
    return periods;
  }

  it('is off by default: every open period lasts recoveryTimeout', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    expect(await reopen(breaker, clock, 4)).toEqual([100, 100, 100, 100, 100]);
    expect(DEFAULT_CIRCUIT_BREAKER_OPTIONS.recoveryBackoff).toBeUndefined();
  });

  it('multiplies the open period on each consecutive re-open, up to the cap', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100, recoveryBackoff: { multiplier: 3, maxRecoveryTimeout: 2_000 } });
    expect(await reopen(breaker, clock, 5)).toEqual([100, 300, 900, 2_000, 2_000, 2_000]);
  });

  it('reports the current period: nextAttemptAt, retryAfterMs, and no trial before it is over', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100, recoveryBackoff: { maxRecoveryTimeout: 1_000 } });
    await reopen(breaker, clock, 2); // 100, 200, then 400 (multiplier 2 by default)
    const openedAt = clock.now();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt, nextAttemptAt: openedAt + 400 });
    clock.advance(399);
    const { error } = await settle(breaker, succeeding);
    expect((error as CircuitOpenError).retryAfterMs).toBe(1);
    expect(breaker.trialDue).toBe(false);
    clock.advance(1);
    expect(breaker.trialDue).toBe(true);
    await expect(breaker.execute(succeeding)).resolves.toBe('ok');
  });

  it('an abandoned round (half-open timeout) counts as a re-open; a half-open round still times out after recoveryTimeout', async () => {
    const { breaker, clock, changes } = setup({ failureThreshold: 1, recoveryTimeout: 100, recoveryBackoff: { maxRecoveryTimeout: 1_000 } });
    await fail(breaker, 1);
    startTrial(breaker, clock, 100);
    clock.advance(100);
    await settle(breaker, succeeding);
    expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'open', reason: 'half-open-timeout' });
    expect(breaker.currentRecoveryTimeout).toBe(200);
  });

  it.each([
    ['closing after a successful trial', async (breaker: CircuitBreakerPolicy, clock: FakeClock) => {
      clock.advance(breaker.currentRecoveryTimeout);
      await succeed(breaker, 1);
    }],
    ['reset()', async (breaker: CircuitBreakerPolicy) => breaker.reset()],
    ['disable() then reset()', async (breaker: CircuitBreakerPolicy) => {
      breaker.disable();
      expect(breaker.currentRecoveryTimeout).toBe(100);
      breaker.reset();
    }],
    ['a remote close', async (breaker: CircuitBreakerPolicy) => breaker.applyRemote('closed')],
  ])('starts again from recoveryTimeout after %s', async (_, close) => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100, recoveryBackoff: { maxRecoveryTimeout: 10_000 } });
    expect(await reopen(breaker, clock, 3)).toEqual([100, 200, 400, 800]);
    await close(breaker, clock);
    expect(breaker.state).toBe('closed');
    expect(await reopen(breaker, clock, 1)).toEqual([100, 200]);
  });

  it('takes the cluster count of re-opens from a shared store (applyRemote)', () => {
    const { breaker, clock } = setup({ recoveryTimeout: 100, recoveryBackoff: { maxRecoveryTimeout: 10_000 } });
    breaker.applyRemote('open', clock.now(), 3);
    expect(breaker.currentRecoveryTimeout).toBe(800);
    expect(breaker.snapshot().nextAttemptAt).toBe(clock.now() + 800);
    breaker.applyRemote('open', clock.now());
    expect(breaker.currentRecoveryTimeout).toBe(800); // no count given: kept
  });

  it('matches min(maxRecoveryTimeout, recoveryTimeout * multiplier^n) for any run of failed and successful rounds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000 }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.array(fc.boolean(), { maxLength: 30 }),
        async (recoveryTimeout, multiplier, extra, rounds) => {
          const maxRecoveryTimeout = recoveryTimeout + extra;
          const clock = new FakeClock(0);
          const breaker = new CircuitBreakerPolicy({ failureThreshold: 1, recoveryTimeout, recoveryBackoff: { multiplier, maxRecoveryTimeout }, clock });
          await fail(breaker, 1);
          let reopens = 0;
          for (const trialFails of rounds) {
            expect(breaker.state).toBe('open');
            expect(breaker.currentRecoveryTimeout).toBe(Math.min(maxRecoveryTimeout, recoveryTimeout * multiplier ** reopens));
            expect(breaker.currentRecoveryTimeout).toBeLessThanOrEqual(maxRecoveryTimeout);
            clock.advance(breaker.currentRecoveryTimeout);
            if (trialFails) {
              await fail(breaker, 1);
              reopens++;
            } else {
              await succeed(breaker, 1);
              await fail(breaker, 1); // opens afresh, from closed
              reopens = 0;
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each<[string, unknown, string]>([
    ['no cap', { multiplier: 2 }, 'cb.recoveryBackoff.maxRecoveryTimeout is required (the longest open period, in ms) (got undefined)'],
    ['a cap below recoveryTimeout', { maxRecoveryTimeout: 50 }, 'cb.recoveryBackoff.maxRecoveryTimeout must be at least recoveryTimeout (100) (got 50)'],
    ['a cap beyond the longest timer', { maxRecoveryTimeout: 3e9 }, 'cb.recoveryBackoff.maxRecoveryTimeout must be at most 2147483647 ms (the longest timer delay) (got 3000000000)'],
    ['a shrinking multiplier', { multiplier: 0.5, maxRecoveryTimeout: 1_000 }, 'cb.recoveryBackoff.multiplier must be a number >= 1 (got 0.5)'],
    ['an unknown key', { maxRecoveryTimeout: 1_000, jitter: 'full' }, 'cb.recoveryBackoff.jitter is not a known option (known: multiplier, maxRecoveryTimeout) (got "full")'],
    ['not an object', 5, 'cb.recoveryBackoff must be an object (got 5)'],
  ])('refuses %s', (_, recoveryBackoff, message) => {
    expect(() => new CircuitBreakerPolicy({ name: 'cb', recoveryTimeout: 100, recoveryBackoff: recoveryBackoff as never })).toThrow(message);
  });

  it('checks the cap against the default recoveryTimeout when none is given', () => {
    expect(() => new CircuitBreakerPolicy({ name: 'cb', recoveryBackoff: { maxRecoveryTimeout: 10_000 } })).toThrow(
      'cb.recoveryBackoff.maxRecoveryTimeout must be at least recoveryTimeout (30000) (got 10000)',
    );
    const options = new CircuitBreakerPolicy({ recoveryBackoff: { maxRecoveryTimeout: 60_000 } }).options;
    expect(options.recoveryBackoff).toEqual({ multiplier: 2, maxRecoveryTimeout: 60_000 });
    expect(Object.isFrozen(options.recoveryBackoff)).toBe(true);
  });
});
