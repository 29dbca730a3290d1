import { describe, expect, it, jest } from '@jest/globals';
import { Observable } from 'rxjs';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import type { Operation } from '../policy/policy.interface.js';
import { withRetry } from '../rxjs/policy-operators.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { RetryPolicy, type GiveUpEvent, type RetryEvent, type RetryPolicyOptions } from './retry.policy.js';

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
class BadGatewayError extends HttpError {
  constructor() {
    super(502);
  }
}

interface Tracked<T> {
  settled: boolean;
  rejected: boolean;
  value?: T;
  error?: unknown;
}

/** Observes a promise without leaving a rejection unhandled. */
function track<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { settled: false, rejected: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.rejected = true;
      state.error = error;
    },
  );
  return state;
}

/**
 * An operation that plays `outcomes` in order (an `{ throw }` entry rejects, a `{ throwSync }`
 * entry throws synchronously, anything else resolves) and records the clock time of each attempt.
 */
function scripted(clock: FakeClock, outcomes: ReadonlyArray<{ throw: unknown } | { throwSync: unknown } | { value: unknown }>) {
  const calls: number[] = [];
  const contexts: unknown[] = [];
  const operation: Operation<unknown> = (context) => {
    const outcome = outcomes[Math.min(calls.length, outcomes.length - 1)]!;
    calls.push(clock.now());
    contexts.push(context);
    if ('throwSync' in outcome) throw outcome.throwSync;
    if ('throw' in outcome) return Promise.reject(outcome.throw);
    return Promise.resolve(outcome.value);
  };
  return { operation, calls, contexts };
}

function setup(options: RetryPolicyOptions = {}) {
  const clock = new FakeClock();
  const policy = new RetryPolicy({ clock, jitter: 'none', ...options });
  const retries: RetryEvent[] = [];
  const giveUps: GiveUpEvent[] = [];
  policy.onRetry((event) => retries.push(event));
  policy.onGiveUp((event) => giveUps.push(event));
  return { clock, policy, retries, giveUps };
}

const errors = (count: number): Error[] => Array.from({ length: count }, (_, i) => new Error(`failure ${i + 1}`));

describe('RetryPolicy', () => {
  describe('defaults', () => {
    it('is a retry policy named "retry" with 3 retries and full jitter', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ clock, random: () => 0.5 });
      expect(policy.kind).toBe('retry');
      expect(policy.name).toBe('retry');
      expect(policy.maxRetries).toBe(3);
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      // Full jitter with random 0.5: half of 100, 200, 400.
      expect(calls).toEqual([0, 50, 150, 350]);
      expect(outcome.rejected).toBe(true);
    });

    it("makes 4 attempts in all, 100, 200 and 400 ms apart with jitter 'none'", async () => {
      const { clock, policy } = setup();
      const failures = errors(5);
      const { operation, calls } = scripted(
        clock,
        failures.map((e) => ({ throw: e })),
      );
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300, 700]);
      expect(outcome.error).toBe(failures[3]);
    });

    it('caps each delay at maxDelay', async () => {
      const { clock, policy, retries } = setup({ maxRetries: 4, maxDelay: 250 });
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }]);
      track(policy.execute(operation));
      await clock.runAllAsync();
      expect(retries.map((r) => r.delay)).toEqual([100, 200, 250, 250]);
      expect(calls).toEqual([0, 100, 300, 550, 800]);
    });

    it('does not start an attempt before its delay has elapsed', async () => {
      const { clock, policy } = setup();
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }, { throw: new Error('down') }, { value: 'ok' }]);
      const outcome = track(policy.execute(operation));
      await clock.tickAsync(99);
      expect(calls).toEqual([0]);
      expect(clock.pendingTimers).toBe(1);
      await clock.tickAsync(1);
      expect(calls).toEqual([0, 100]);
      await clock.tickAsync(199);
      expect(calls).toEqual([0, 100]);
      expect(outcome.settled).toBe(false);
      await clock.tickAsync(1);
      expect(calls).toEqual([0, 100, 300]);
      expect(outcome).toEqual({ settled: true, rejected: false, value: 'ok' });
      expect(clock.pendingTimers).toBe(0);
    });

    it('makes a single attempt with maxRetries 0', async () => {
      const { clock, policy, retries, giveUps } = setup({ maxRetries: 0 });
      const failure = new Error('down');
      const { operation, calls } = scripted(clock, [{ throw: failure }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0]);
      expect(outcome.error).toBe(failure);
      expect(retries).toEqual([]);
      expect(giveUps).toEqual([{ name: 'retry', attempts: 1, error: failure }]);
    });

    it('validates its options with the policy name in the path', () => {
      const build = (): unknown => new RetryPolicy({ name: 'pricing', maxRetries: -1 });
      expect(build).toThrow(InvalidOptionsError);
      expect(build).toThrow('retry "pricing".maxRetries must be a non-negative integer (got -1)');
      expect(() => new RetryPolicy({ jitter: 'fast' as never })).toThrow(
        `retry "retry".jitter must be one of 'full', 'equal', 'decorrelated', 'none' (got "fast")`,
      );
    });
  });

  describe('outcomes', () => {
    it('returns the first success, passing the call context to every attempt', async () => {
      const { clock, policy } = setup();
      const { operation, contexts } = scripted(clock, [{ throw: new Error('down') }, { value: 42 }]);
      const scope = ExecutionScope.cancellable();
      const outcome = track(policy.run(operation, scope));
      await clock.runAllAsync();
      expect(outcome.value).toBe(42);
      expect(contexts).toEqual([scope, scope]);
      expect(contexts[0]).toBe(scope);
    });

    it('rethrows the original last error unchanged (same object)', async () => {
      const { clock, policy } = setup();
      const failures = errors(4);
      const { operation } = scripted(
        clock,
        failures.map((e) => ({ throw: e })),
      );
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(outcome.rejected).toBe(true);
      expect(outcome.error).toBe(failures[3]);
      expect((outcome.error as Error).stack).toBe(failures[3]!.stack);
    });

    it('retries synchronous throws like rejections', async () => {
      const { clock, policy } = setup();
      const failure = new TypeError('sync');
      const { operation, calls } = scripted(clock, [{ throwSync: new TypeError('first') }, { throwSync: failure }, { throwSync: failure }, { throwSync: failure }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toHaveLength(4);
      expect(outcome.error).toBe(failure);
    });

    it('retries non-Error throwables and rethrows them unchanged', async () => {
      for (const thrown of ['boom', undefined, null, 0, { code: 'E' }]) {
        const { clock, policy, retries, giveUps } = setup();
        const { operation, calls } = scripted(clock, [{ throw: thrown }]);
        const outcome = track(policy.execute(operation));
        await clock.runAllAsync();
        expect(calls).toHaveLength(4);
        expect(outcome.rejected).toBe(true);
        expect(outcome.error).toBe(thrown);
        expect(retries.map((r) => r.error)).toEqual([thrown, thrown, thrown]);
        expect(giveUps).toEqual([{ name: 'retry', attempts: 4, error: thrown }]);
      }
    });

    it('adopts non-native thenables and plain values', async () => {
      const { clock, policy } = setup();
      let attempts = 0;
      const thenable: PromiseLike<string> = {
        then: (onFulfilled, onRejected) => Promise.reject(new Error('thenable')).then(onFulfilled, onRejected),
      };
      const outcome = track(policy.execute(() => (++attempts === 1 ? thenable : 'plain')));
      await clock.runAllAsync();
      expect(attempts).toBe(2);
      expect(outcome.value).toBe('plain');
    });

    it('keeps no state between concurrent calls (decorrelated delays are per call)', async () => {
      const { clock, policy } = setup({ jitter: 'decorrelated', random: () => 1 });
      const first = scripted(clock, [{ throw: new Error('a') }]);
      const second = scripted(clock, [{ throw: new Error('b') }]);
      track(policy.execute(first.operation));
      await clock.tickAsync(150);
      track(policy.execute(second.operation));
      await clock.runAllAsync();
      // 300, 900, 2700 from each call's own start: 150 ms apart throughout.
      expect(first.calls).toEqual([0, 300, 1_200, 3_900]);
      expect(second.calls).toEqual([150, 450, 1_350, 4_050]);
    });
  });

  describe('retryOn', () => {
    it('asks a predicate with the error and the 1-based attempt that failed', async () => {
      const seen: Array<[unknown, number]> = [];
      const { clock, policy } = setup({
        retryOn: (error, attempt) => {
          seen.push([error, attempt]);
          return (error as HttpError).status >= 500;
        },
      });
      const e1 = new HttpError(503);
      const e2 = new HttpError(500);
      const e3 = new HttpError(404);
      const { operation, calls } = scripted(clock, [{ throw: e1 }, { throw: e2 }, { throw: e3 }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300]);
      expect(seen).toEqual([
        [e1, 1],
        [e2, 2],
        [e3, 3],
      ]);
      expect(outcome.error).toBe(e3);
    });

    it('does not consult the predicate once retries are exhausted', async () => {
      const predicate = jest.fn((_error: unknown, _attempt: number) => true);
      const { clock, policy } = setup({ maxRetries: 2, retryOn: predicate });
      const { operation } = scripted(clock, [{ throw: new Error('down') }]);
      track(policy.execute(operation));
      await clock.runAllAsync();
      expect(predicate.mock.calls.map((call) => call[1])).toEqual([1, 2]);
    });

    it('treats a throwing predicate as "do not retry" and rethrows the original error', async () => {
      const { clock, policy } = setup({
        retryOn: () => {
          throw new Error('predicate bug');
        },
      });
      const failure = new Error('down');
      const { operation, calls } = scripted(clock, [{ throw: failure }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0]);
      expect(outcome.error).toBe(failure);
    });

    it('retries only instances of the listed classes (subclasses included)', async () => {
      const { clock, policy } = setup({ retryOn: [HttpError] });
      const typeError = new TypeError('not retried');
      const { operation, calls } = scripted(clock, [{ throw: new HttpError(503) }, { throw: new BadGatewayError() }, { throw: typeError }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300]);
      expect(outcome.error).toBe(typeError);
    });

    it('copies the class list, so later mutation of the caller array has no effect', async () => {
      const classes: Array<abstract new (...args: never[]) => unknown> = [HttpError];
      const { clock, policy } = setup({ retryOn: classes });
      classes.push(TypeError);
      const { operation, calls } = scripted(clock, [{ throw: new TypeError('x') }]);
      track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0]);
    });
  });

  describe('retryOnResult', () => {
    it('retries results the predicate rejects, then returns the first accepted one', async () => {
      const { clock, policy, retries, giveUps } = setup({ retryOnResult: (value) => value === 'pending' });
      const { operation, calls } = scripted(clock, [{ value: 'pending' }, { value: 'pending' }, { value: 'done' }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300]);
      expect(outcome.value).toBe('done');
      expect(retries).toEqual([
        { name: 'retry', attempt: 1, delay: 100, result: 'pending' },
        { name: 'retry', attempt: 2, delay: 200, result: 'pending' },
      ]);
      expect(giveUps).toEqual([]);
      expect(policy.stats).toEqual({ successWithoutRetry: 0, successWithRetry: 1, failedWithRetry: 0, failedWithoutRetry: 0 });
    });

    it('resolves with the last result once retries run out', async () => {
      const { clock, policy, giveUps } = setup({ maxRetries: 2, retryOnResult: (value) => (value as { ok: boolean }).ok === false });
      const last = { ok: false, n: 3 };
      const { operation, calls } = scripted(clock, [{ value: { ok: false, n: 1 } }, { value: { ok: false, n: 2 } }, { value: last }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300]);
      expect(outcome.rejected).toBe(false);
      expect(outcome.value).toBe(last);
      expect(giveUps).toEqual([{ name: 'retry', attempts: 3, result: last }]);
      expect(policy.stats).toEqual({ successWithoutRetry: 0, successWithRetry: 0, failedWithRetry: 1, failedWithoutRetry: 0 });
    });

    it('keeps the result when the predicate throws', async () => {
      const { clock, policy } = setup({
        retryOnResult: () => {
          throw new Error('predicate bug');
        },
      });
      const { operation, calls } = scripted(clock, [{ value: 'v' }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0]);
      expect(outcome.value).toBe('v');
    });

    it('still retries errors as usual', async () => {
      const { clock, policy } = setup({ retryOnResult: (value) => value === 'pending' });
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }, { value: 'pending' }, { value: 'done' }]);
      const outcome = track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300]);
      expect(outcome.value).toBe('done');
    });
  });

  describe('fast-fail errors', () => {
    const cases = [
      // Its time left is within maxDelay and no longer than the backoff's delays: those apply.
      { label: 'CircuitOpenError', flag: 'retryOnCircuitOpen', create: () => new CircuitOpenError('pricing', 50) },
      { label: 'BulkheadFullError', flag: 'retryOnBulkheadFull', create: () => new BulkheadFullError('reports', 4, 16) },
    ] as const;

    for (const { label, flag, create } of cases) {
      it(`never retries a ${label} by default, and never asks retryOn about it`, async () => {
        const retryOn = jest.fn(() => true);
        const { clock, policy, giveUps } = setup({ retryOn });
        const failure = create();
        const { operation, calls } = scripted(clock, [{ throw: failure }]);
        const outcome = track(policy.execute(operation));
        await clock.runAllAsync();
        expect(calls).toEqual([0]);
        expect(outcome.error).toBe(failure);
        expect(retryOn).not.toHaveBeenCalled();
        expect(giveUps).toEqual([{ name: 'retry', attempts: 1, error: failure }]);
      });

      it(`retries a ${label} when ${flag} is true, even if retryOn lists other classes`, async () => {
        const { clock, policy } = setup({ [flag]: true, retryOn: [HttpError] });
        const failure = create();
        const { operation, calls } = scripted(clock, [{ throw: create() }, { throw: create() }, { throw: create() }, { throw: failure }]);
        const outcome = track(policy.execute(operation));
        await clock.runAllAsync();
        expect(calls).toEqual([0, 100, 300, 700]);
        expect(outcome.error).toBe(failure);
      });
    }

    it('retrying one kind does not retry the other', async () => {
      const { clock, policy } = setup({ retryOnCircuitOpen: true });
      const { operation, calls } = scripted(clock, [{ throw: new CircuitOpenError('pricing', 1) }, { throw: new BulkheadFullError('reports', 1, 0) }]);
      track(policy.execute(operation));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100]);
    });
  });

  describe('cancellation and deadlines', () => {
    it('rejects at once with the reason when the scope aborts during a wait, leaving no timer', async () => {
      const { clock, policy, giveUps } = setup();
      const scope = ExecutionScope.cancellable();
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }]);
      const outcome = track(policy.run(operation, scope));
      await clock.tickAsync(150); // attempt 2 at 100 failed; waiting 200 ms for attempt 3
      expect(calls).toEqual([0, 100]);
      expect(clock.pendingTimers).toBe(1);
      const reason = new Error('caller went away');
      scope.abort(reason);
      await flushMicrotasks();
      expect(outcome).toEqual({ settled: true, rejected: true, error: reason });
      expect(clock.now()).toBe(150);
      expect(clock.pendingTimers).toBe(0);
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100]);
      expect(giveUps).toEqual([{ name: 'retry', attempts: 2, error: reason }]);
    });

    it('honours a caller AbortSignal given to execute', async () => {
      const { clock, policy } = setup();
      const controller = new AbortController();
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }]);
      const outcome = track(policy.execute(operation, controller.signal));
      await clock.tickAsync(50);
      controller.abort('stop');
      await flushMicrotasks();
      expect(outcome.error).toBe('stop');
      expect(clock.pendingTimers).toBe(0);
      expect(calls).toEqual([0]);
    });

    it('removes its abort listener when a wait completes', async () => {
      const { clock, policy } = setup();
      const scope = ExecutionScope.cancellable();
      let subscribed = 0;
      let unsubscribed = 0;
      const onAbort = scope.onAbort.bind(scope);
      scope.onAbort = (listener) => {
        subscribed++;
        const unsubscribe = onAbort(listener);
        return () => {
          unsubscribed++;
          unsubscribe();
        };
      };
      const { operation } = scripted(clock, [{ throw: new Error('down') }, { throw: new Error('down') }, { value: 'ok' }]);
      const outcome = track(policy.run(operation, scope));
      await clock.runAllAsync();
      expect(outcome.value).toBe('ok');
      expect(subscribed).toBe(2);
      expect(unsubscribed).toBe(2);
    });

    it('makes no attempt and counts nothing when the scope is already aborted', async () => {
      const { clock, policy, giveUps } = setup();
      const scope = ExecutionScope.cancellable();
      scope.abort('cancelled');
      const { operation, calls } = scripted(clock, [{ value: 'ok' }]);
      const outcome = track(policy.run(operation, scope));
      await clock.runAllAsync();
      expect(calls).toEqual([]);
      expect(outcome.error).toBe('cancelled');
      expect(giveUps).toEqual([]);
      expect(policy.stats).toEqual({ successWithoutRetry: 0, successWithRetry: 0, failedWithRetry: 0, failedWithoutRetry: 0 });
    });

    it('starts no further attempt when the scope aborts during an attempt', async () => {
      const { clock, policy } = setup();
      const scope = ExecutionScope.cancellable();
      let attempts = 0;
      const outcome = track(
        policy.run(() => {
          attempts++;
          scope.abort('cancelled');
          return Promise.reject(new Error('aborted fetch'));
        }, scope),
      );
      await clock.runAllAsync();
      expect(attempts).toBe(1);
      expect(outcome.error).toBe('cancelled');
      expect(clock.pendingTimers).toBe(0);
    });

    it('rethrows the last error at once when the deadline would cut the next attempt', async () => {
      for (const deadline of [250, 300]) {
        const { clock, policy, retries, giveUps } = setup();
        const scope = ExecutionScope.root.child(deadline);
        const failures = errors(4);
        const { operation, calls } = scripted(
          clock,
          failures.map((e) => ({ throw: e })),
        );
        const outcome = track(policy.run(operation, scope));
        await clock.tickAsync(100);
        // Attempt 2 failed at 100; 100 + 200 >= deadline, so no wait is started.
        expect(calls).toEqual([0, 100]);
        expect(outcome.error).toBe(failures[1]);
        expect(clock.pendingTimers).toBe(0);
        expect(retries.map((r) => r.attempt)).toEqual([1]);
        expect(giveUps).toEqual([{ name: 'retry', attempts: 2, error: failures[1] }]);
      }
    });

    it('waits when the next attempt would start before the deadline', async () => {
      const { clock, policy } = setup();
      const scope = ExecutionScope.root.child(301);
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }]);
      track(policy.run(operation, scope));
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100, 300]);
    });

    it('resolves with the last result when the deadline cuts retries on results', async () => {
      const { clock, policy } = setup({ retryOnResult: (value) => value === 'pending' });
      const scope = ExecutionScope.root.child(50);
      const { operation, calls } = scripted(clock, [{ value: 'pending' }]);
      const outcome = track(policy.run(operation, scope));
      await clock.runAllAsync();
      expect(calls).toEqual([0]);
      expect(outcome.value).toBe('pending');
    });
  });

  describe('what a cancelled call rejects with', () => {
    /** An attempt that fails at once the first time, then waits for its signal to abort and rejects with its reason. */
    function untilAborted(clock: FakeClock) {
      const calls: number[] = [];
      const operation: Operation<string> = (context) => {
        calls.push(clock.now());
        if (calls.length === 1) return Promise.reject(new Error('down'));
        const signal = context.signal;
        return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      };
      return { operation, calls };
    }

    it('an outer deadline that expires during an attempt: the TimeoutError (the scope’s reason), no further attempt', async () => {
      const { clock, policy, giveUps } = setup({ maxRetries: 3 });
      const timeout = new TimeoutPolicy({ name: 'outer', duration: 250, clock });
      const { operation, calls } = untilAborted(clock);
      const outcome = track(timeout.execute(() => policy.execute(operation)));
      await clock.tickAsync(250);
      await clock.runAllAsync();
      expect(calls).toEqual([0, 100]);
      expect(outcome.error).toBeInstanceOf(TimeoutError);
      expect(giveUps).toHaveLength(1);
      expect(giveUps[0]!.error).toBeInstanceOf(TimeoutError);
      expect(giveUps[0]!.error).toBe(outcome.error);
    });

    it('an outer deadline that a wait would outlast: no wait, the last error at once (never a TimeoutError)', async () => {
      const { clock, policy } = setup({ maxRetries: 3 });
      const timeout = new TimeoutPolicy({ name: 'outer', duration: 50, clock });
      const failure = new Error('down');
      const outcome = track(timeout.execute(() => policy.execute(() => Promise.reject(failure))));
      await flushMicrotasks();
      expect(outcome.error).toBe(failure);
      expect(clock.now()).toBe(0);
    });

    it('a caller abort during an attempt with retries left: the abort reason; during the last attempt: that attempt’s own outcome', async () => {
      for (const [maxRetries, expected] of [
        [3, 'reason'],
        [1, 'attempt'],
      ] as const) {
        const { clock, policy } = setup({ maxRetries });
        const controller = new AbortController();
        const attemptError = new Error('aborted fetch');
        const operation: Operation<string> = (context) => {
          if (clock.now() === 0) return Promise.reject(new Error('down'));
          return new Promise<string>((_, reject) => context.signal.addEventListener('abort', () => reject(attemptError), { once: true }));
        };
        const outcome = track(policy.execute(operation, controller.signal));
        await clock.tickAsync(150);
        controller.abort('caller left');
        await clock.runAllAsync();
        expect(outcome.error).toBe(expected === 'reason' ? 'caller left' : attemptError);
      }
    });

    it('an unsubscribe during a wait: the AbortError DOMException the operator aborts with', async () => {
      const { clock, policy, giveUps } = setup();
      let subscriptions = 0;
      const source = new Observable<string>((subscriber) => {
        subscriptions++;
        subscriber.error(new Error('down'));
      });
      const subscription = source.pipe(withRetry(policy)).subscribe({ error: () => undefined });
      await clock.tickAsync(50); // waiting 100 ms for the first retry
      subscription.unsubscribe();
      await clock.runAllAsync();
      expect(subscriptions).toBe(1);
      expect(giveUps).toHaveLength(1);
      expect(giveUps[0]!.error).toBeInstanceOf(DOMException);
      expect((giveUps[0]!.error as DOMException).name).toBe('AbortError');
    });
  });

  describe('zero delay', () => {
    it('retries without any timer, yielding between attempts', async () => {
      const { clock, policy, retries } = setup({ baseDelay: 0 });
      const setTimeoutSpy = jest.spyOn(clock, 'setTimeout');
      const failure = new Error('last');
      const { operation, calls } = scripted(clock, [{ throw: new Error('a') }, { throw: new Error('b') }, { throw: new Error('c') }, { throw: failure }]);
      const outcome = track(policy.execute(operation));
      expect(calls).toEqual([0]); // the retry does not run synchronously
      await flushMicrotasks();
      expect(calls).toEqual([0, 0, 0, 0]);
      expect(outcome.error).toBe(failure);
      expect(retries.map((r) => r.delay)).toEqual([0, 0, 0]);
      expect(setTimeoutSpy).not.toHaveBeenCalled();
    });

    it('checks for cancellation before each zero-delay retry', async () => {
      const { clock, policy } = setup({ baseDelay: 0 });
      const scope = ExecutionScope.cancellable();
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }]);
      policy.onRetry(() => scope.abort('stop'));
      const outcome = track(policy.run(operation, scope));
      await flushMicrotasks();
      expect(calls).toEqual([0]);
      expect(outcome.error).toBe('stop');
    });
  });

  describe('hot path', () => {
    it('sets no timer and emits nothing when the first attempt succeeds', async () => {
      const { clock, policy, retries, giveUps } = setup();
      const setTimeoutSpy = jest.spyOn(clock, 'setTimeout');
      const value = { id: 1 };
      await expect(policy.execute(() => value)).resolves.toBe(value);
      expect(setTimeoutSpy).not.toHaveBeenCalled();
      expect(retries).toEqual([]);
      expect(giveUps).toEqual([]);
    });
  });

  describe('events and stats', () => {
    it('emits onRetry before each wait and onGiveUp once', async () => {
      const { clock, policy, retries, giveUps } = setup({ name: 'pricing' });
      const failures = errors(4);
      const order: string[] = [];
      policy.onRetry((event) => order.push(`retry ${event.attempt} at ${clock.now()}`));
      policy.onGiveUp((event) => order.push(`give up after ${event.attempts} at ${clock.now()}`));
      const { operation } = scripted(
        clock,
        failures.map((e) => ({ throw: e })),
      );
      track(policy.execute(operation));
      await clock.runAllAsync();
      expect(retries).toEqual([
        { name: 'pricing', attempt: 1, delay: 100, error: failures[0] },
        { name: 'pricing', attempt: 2, delay: 200, error: failures[1] },
        { name: 'pricing', attempt: 3, delay: 400, error: failures[2] },
      ]);
      expect(giveUps).toEqual([{ name: 'pricing', attempts: 4, error: failures[3] }]);
      expect(order).toEqual(['retry 1 at 0', 'retry 2 at 100', 'retry 3 at 300', 'give up after 4 at 700']);
    });

    it('stops notifying a disposed listener, and survives a throwing one', async () => {
      const { clock, policy } = setup();
      const seen: number[] = [];
      const subscription = policy.onRetry((event) => seen.push(event.attempt));
      policy.onRetry(() => {
        throw new Error('listener bug');
      });
      const { operation, calls } = scripted(clock, [{ throw: new Error('down') }, { throw: new Error('down') }, { value: 'ok' }]);
      const outcome = track(policy.execute(operation));
      await clock.tickAsync(50);
      expect(seen).toEqual([1]);
      subscription.dispose();
      await clock.runAllAsync();
      expect(seen).toEqual([1]);
      expect(calls).toEqual([0, 100, 300]);
      expect(outcome.value).toBe('ok');
    });

    it('counts outcomes by whether more than one attempt was made', async () => {
      const { clock, policy } = setup({ retryOn: [HttpError] });
      const run = async (outcomes: Parameters<typeof scripted>[1]): Promise<void> => {
        track(policy.execute(scripted(clock, outcomes).operation));
        await clock.runAllAsync();
      };
      expect(policy.stats).toEqual({ successWithoutRetry: 0, successWithRetry: 0, failedWithRetry: 0, failedWithoutRetry: 0 });
      await run([{ value: 1 }]);
      await run([{ value: 2 }]);
      await run([{ throw: new HttpError(503) }, { value: 3 }]);
      await run([{ throw: new HttpError(503) }]);
      await run([{ throw: new HttpError(503) }, { throw: new TypeError('not retried') }]);
      await run([{ throw: new TypeError('not retried') }]);
      expect(policy.stats).toEqual({ successWithoutRetry: 2, successWithRetry: 1, failedWithRetry: 2, failedWithoutRetry: 1 });
    });
  });
});
