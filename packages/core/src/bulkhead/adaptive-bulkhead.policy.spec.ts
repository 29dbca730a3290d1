import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/fake-clock.js';
import { composePolicies } from '../composition/compose-policies.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { Gradient2Limit } from '../limit/gradient2.limit.js';
import type { LimitAlgorithm } from '../limit/limit-algorithm.interface.js';
import { VegasLimit } from '../limit/vegas.limit.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { AdaptiveBulkheadPolicy } from './adaptive-bulkhead.policy.js';
import { deferred } from '../testing/deferred.js';

interface Sample {
  rtt: number;
  inFlight: number;
  dropped: boolean;
}

/** A limit set by the test, recording what it is fed. */
class ScriptedLimit implements LimitAlgorithm {
  readonly minLimit = 1;
  readonly maxLimit = 1_000;
  readonly samples: Sample[] = [];
  constructor(public limit: number) {}
  onSample(rtt: number, inFlight: number, dropped: boolean): number {
    this.samples.push({ rtt, inFlight, dropped });
    return this.limit;
  }
}

function settledOf<T>(promise: Promise<T>): { error?: unknown; value?: T; settled: boolean } {
  const state: { error?: unknown; value?: T; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

describe('AdaptiveBulkheadPolicy', () => {
  it('defaults to Gradient2 starting at 20, no queue, and reports a snapshot', () => {
    const bulkhead = new AdaptiveBulkheadPolicy({ clock: new FakeClock() });
    expect([bulkhead.kind, bulkhead.name, bulkhead.limit, bulkhead.maxQueue]).toEqual(['bulkhead', 'bulkhead', 20, 0]);
    expect(bulkhead.snapshot()).toEqual({ limit: 20, inFlight: 0, queued: 0, rejected: 0 });
    expect(new AdaptiveBulkheadPolicy({ adaptive: true }).limit).toBe(20);
    expect(new AdaptiveBulkheadPolicy({ adaptive: { algorithm: 'aimd', initialLimit: 7 } }).limit).toBe(7);
  });

  it('admits up to the current limit, then rejects with a stackless BulkheadFullError naming the limit', async () => {
    const clock = new FakeClock();
    const limit = new ScriptedLimit(2);
    const bulkhead = new AdaptiveBulkheadPolicy({ name: 'pricing', clock, adaptive: limit });
    const gate = deferred();
    const calls = [bulkhead.execute(() => gate.promise), bulkhead.execute(() => gate.promise)];
    const third = settledOf(bulkhead.execute(() => 'never'));
    await clock.tickAsync(0);
    expect(third.error).toBeInstanceOf(BulkheadFullError);
    expect((third.error as BulkheadFullError).maxConcurrent).toBe(2);
    expect((third.error as Error).stack?.split('\n').filter((line) => line.trim().startsWith('at '))).toEqual([]);
    expect(bulkhead.snapshot()).toEqual({ limit: 2, inFlight: 2, queued: 0, rejected: 1 });
    gate.resolve('ok');
    await Promise.all(calls);
    expect(bulkhead.snapshot().inFlight).toBe(0);
  });

  it('learns from each successful call its latency from the slot, and the calls in flight with it', async () => {
    const clock = new FakeClock();
    const limit = new ScriptedLimit(4);
    const bulkhead = new AdaptiveBulkheadPolicy({ clock, adaptive: limit });
    const slow = bulkhead.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('slow'), 30)));
    const fast = bulkhead.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('fast'), 10)));
    await clock.tickAsync(30);
    await expect(Promise.all([slow, fast])).resolves.toEqual(['slow', 'fast']);
    expect(limit.samples).toEqual([
      { rtt: 10, inFlight: 2, dropped: false },
      { rtt: 30, inFlight: 1, dropped: false },
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ignores ordinary failures and cancelled calls, counts timeouts as drops', async () => {
    const clock = new FakeClock();
    const limit = new ScriptedLimit(4);
    const bulkhead = new AdaptiveBulkheadPolicy({ clock, adaptive: limit });
    await expect(bulkhead.execute(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    const timeout = new TimeoutError('inner', 5);
    await expect(bulkhead.execute(() => Promise.reject(timeout))).rejects.toBe(timeout);
    expect(limit.samples).toEqual([{ rtt: 0, inFlight: 1, dropped: true }]);

    // The caller gives up; the work settles later: its latency measured the caller's patience.
    const controller = new AbortController();
    const work = deferred();
    const cancelled = settledOf(bulkhead.execute(() => work.promise, controller.signal));
    await clock.tickAsync(5);
    controller.abort(new Error('client went away'));
    work.resolve('late');
    await clock.tickAsync(0);
    expect(cancelled.settled).toBe(true);
    expect(limit.samples).toHaveLength(1);
  });

  it('composed under a timeout, a call whose deadline passed is a dropped sample once its work settles', async () => {
    const clock = new FakeClock();
    const limit = new ScriptedLimit(4);
    const bulkhead = new AdaptiveBulkheadPolicy({ clock, adaptive: limit });
    const policy = composePolicies(new TimeoutPolicy({ duration: 50, clock }), bulkhead);
    const work = deferred();
    const call = settledOf(policy.execute(() => work.promise));
    await clock.tickAsync(50);
    expect(call.error).toBeInstanceOf(TimeoutError);
    expect(bulkhead.snapshot().inFlight).toBe(1);
    await clock.tickAsync(20);
    work.resolve('too late');
    await clock.tickAsync(0);
    expect(limit.samples).toEqual([{ rtt: 70, inFlight: 1, dropped: true }]);
    expect(bulkhead.snapshot().inFlight).toBe(0);
  });

  it('queues FIFO up to maxQueue, lets an aborted waiter go, and grants waiters as the limit allows', async () => {
    const clock = new FakeClock();
    const limit = new ScriptedLimit(1);
    const bulkhead = new AdaptiveBulkheadPolicy({ clock, adaptive: limit, maxQueue: 2 });
    const first = deferred<string>();
    const started: string[] = [];
    const run = (id: string, promise: Promise<string> | string, signal?: AbortSignal) =>
      settledOf(
        bulkhead.execute(() => {
          started.push(id);
          return promise;
        }, signal),
      );
    const a = run('a', first.promise);
    const controller = new AbortController();
    const b = run('b', 'b', controller.signal);
    const c = run('c', 'c');
    const d = run('d', 'd');
    await clock.tickAsync(0);
    expect(d.error).toBeInstanceOf(BulkheadFullError);
    expect(bulkhead.snapshot()).toEqual({ limit: 1, inFlight: 1, queued: 2, rejected: 1 });
    controller.abort('gone');
    await clock.tickAsync(0);
    expect(b.error).toBe('gone');
    expect(bulkhead.queued).toBe(1);
    limit.limit = 3;
    first.resolve('a');
    await clock.tickAsync(0);
    expect([a.value, c.value]).toEqual(['a', 'c']);
    expect(started).toEqual(['a', 'c']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs through the engine with a retry, which never retries its BulkheadFullError', async () => {
    const clock = new FakeClock();
    const bulkhead = new AdaptiveBulkheadPolicy({ clock, adaptive: new ScriptedLimit(1) });
    const policy = composePolicies(new RetryPolicy({ maxRetries: 2, clock }), bulkhead);
    const gate = deferred();
    const held = policy.execute(() => gate.promise);
    await expect(policy.execute(() => 'x')).rejects.toBeInstanceOf(BulkheadFullError);
    gate.resolve('done');
    await expect(held).resolves.toBe('done');
  });

  it('follows a real algorithm: the limit drops when latency climbs far above its baseline, and emits the change', async () => {
    const clock = new FakeClock();
    const bulkhead = new AdaptiveBulkheadPolicy({ clock, adaptive: { initialLimit: 10, minLimit: 2, shortWindow: 10 } });
    const changes: number[] = [];
    bulkhead.onLimitChanged((event) => changes.push(event.limit));
    const call = (ms: number) => bulkhead.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(ms), ms)));
    for (let round = 0; round < 3; round++) {
      const batch = Array.from({ length: 10 }, () => call(10));
      await clock.tickAsync(10);
      await Promise.all(batch);
    }
    const before = bulkhead.limit;
    for (let round = 0; round < 8; round++) {
      const batch = Array.from({ length: bulkhead.limit }, () => call(100));
      await clock.tickAsync(100);
      await Promise.all(batch);
    }
    expect(bulkhead.limit).toBeLessThan(before);
    expect(changes.at(-1)).toBe(bulkhead.limit);
  });

  it('validates its options naming the bulkhead and the field', () => {
    const message = (create: () => unknown): string => {
      try {
        create();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionsError);
        return (error as Error).message;
      }
      throw new Error('expected an InvalidOptionsError');
    };
    expect(message(() => new AdaptiveBulkheadPolicy({ name: 'pricing', adaptive: { minLimit: 0 } }))).toBe(
      'bulkheads.pricing.adaptive.minLimit must be a positive integer (got 0)',
    );
    expect(message(() => new AdaptiveBulkheadPolicy({ adaptive: { algorithm: 'bbr' as never } }))).toBe(
      "bulkheads.bulkhead.adaptive.algorithm must be one of 'gradient2', 'vegas', 'aimd' (got \"bbr\")",
    );
    expect(message(() => new AdaptiveBulkheadPolicy({ adaptive: { algorithm: 'vegas', alpha: 5, beta: 4 } }))).toBe(
      'bulkheads.bulkhead.adaptive.beta must be a number greater than alpha (5) and at most 1000 (got 4)',
    );
    expect(message(() => new AdaptiveBulkheadPolicy({ adaptive: { minLimit: 50, maxLimit: 10 } }))).toBe(
      'bulkheads.bulkhead.adaptive.minLimit must be at most maxLimit (10) (got 50)',
    );
    expect(message(() => new AdaptiveBulkheadPolicy({ validationPath: 'bulkheads.r', maxConcurrent: 3 } as never))).toBe(
      'bulkheads.r.maxConcurrent is not a known option (known: adaptive, maxQueue) (got 3)',
    );
    expect(message(() => new AdaptiveBulkheadPolicy({ adaptive: { algorithm: 'aimd', backoffRatio: 1 } }))).toBe(
      'bulkheads.bulkhead.adaptive.backoffRatio must be a number from 0.5 up to (not including) 1 (got 1)',
    );
    expect(new AdaptiveBulkheadPolicy({ adaptive: { maxLimit: 2 } }).limit).toBe(2);
    expect(() => new AdaptiveBulkheadPolicy({ adaptive: new VegasLimit() })).not.toThrow();
    expect(() => new AdaptiveBulkheadPolicy({ adaptive: new Gradient2Limit({ initialLimit: 5 }) })).not.toThrow();
  });
});
