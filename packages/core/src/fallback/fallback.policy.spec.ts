import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { ComposedPolicy } from '../composition/compose-policies.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { fallbackReason } from './fallback-reason.js';
import { FallbackPolicy, type FallbackEvent } from './fallback.policy.js';

class PaymentError extends Error {}
class CardDeclinedError extends PaymentError {}

const scope = ExecutionScope.root;
const fail = (error: unknown) => () => Promise.reject(error);
const succeed = <T>(value: T) => () => value;

describe('FallbackPolicy', () => {
  describe('defaults', () => {
    it('with no fallback source rethrows the original error object', async () => {
      const policy = new FallbackPolicy({ clock: new FakeClock() });
      const error = new Error('down');
      expect(policy.kind).toBe('fallback');
      expect(policy.name).toBe('fallback');
      await expect(policy.execute(fail(error))).rejects.toBe(error);
      expect(policy.fallbackCount).toBe(0);
      expect(policy.staleEntries).toBe(0);
    });

    it('passes successes through untouched, sync or async', async () => {
      const policy = new FallbackPolicy({ value: 'fallback', clock: new FakeClock() });
      await expect(policy.execute(succeed('fresh'))).resolves.toBe('fresh');
      await expect(policy.execute(() => Promise.resolve(7))).resolves.toBe(7);
      expect(policy.fallbackCount).toBe(0);
    });
  });

  describe('value', () => {
    it('resolves with the value on a rejection, a sync throw and a non-Error throw', async () => {
      const fallbackValue = { price: 0 };
      const policy = new FallbackPolicy({ value: fallbackValue, clock: new FakeClock() });
      await expect(policy.execute(fail(new Error('x')))).resolves.toBe(fallbackValue);
      await expect(policy.execute(() => { throw new Error('sync'); })).resolves.toBe(fallbackValue);
      await expect(policy.execute(() => { throw 'a string'; })).resolves.toBe(fallbackValue);
      await expect(policy.execute(fail(undefined))).resolves.toBe(fallbackValue);
      expect(policy.fallbackCounts).toEqual({ circuit_open: 0, timeout: 0, bulkhead_full: 0, error: 4, result: 0 });
    });

    it('treats an explicit `value: undefined` as a value', async () => {
      const policy = new FallbackPolicy({ value: undefined, clock: new FakeClock() });
      await expect(policy.execute(fail(new Error('x')))).resolves.toBeUndefined();
    });
  });

  describe('handler', () => {
    it('is called with the call arguments, then the error, and its result is returned', async () => {
      const error = new Error('pricing down');
      const handler = jest.fn((sku: unknown, qty: unknown, err: unknown) => `${String(sku)}x${String(qty)}:${(err as Error).message}`);
      const policy = new FallbackPolicy({ handler, value: 'not used', clock: new FakeClock() });
      await expect(policy.run(fail(error), scope, ['sku-1', 2])).resolves.toBe('sku-1x2:pricing down');
      expect(handler).toHaveBeenCalledTimes(1);
      expect(handler.mock.calls[0]).toEqual(['sku-1', 2, error]);
      expect(handler.mock.calls[0]![2]).toBe(error);
    });

    it('gets only the error when there are no arguments (execute)', async () => {
      const handler = jest.fn((..._args: unknown[]) => 'h');
      const policy = new FallbackPolicy({ handler, clock: new FakeClock() });
      const error = new TimeoutError('db', 5_000);
      await expect(policy.execute(fail(error))).resolves.toBe('h');
      expect(handler.mock.calls).toEqual([[error]]);
      expect(handler.mock.contexts[0]).toBeUndefined();
    });

    it('adopts an async result', async () => {
      const policy = new FallbackPolicy({ handler: async () => 'later', clock: new FakeClock() });
      await expect(policy.execute(fail(new Error('x')))).resolves.toBe('later');
    });

    it('rejects with the handler error when the handler throws or rejects', async () => {
      const handlerError = new Error('handler broke');
      const original = new Error('original');
      const throwing = new FallbackPolicy({ handler: () => { throw handlerError; }, value: 'unused', clock: new FakeClock() });
      await expect(throwing.execute(fail(original))).rejects.toBe(handlerError);
      const rejecting = new FallbackPolicy({ handler: () => Promise.reject(handlerError), clock: new FakeClock() });
      await expect(rejecting.execute(fail(original))).rejects.toBe(handlerError);
    });
  });

  describe('on', () => {
    it('falls back only for the listed classes (and subclasses), rethrowing others as the same object', async () => {
      const policy = new FallbackPolicy({ on: [PaymentError, TimeoutError], value: 'fb', clock: new FakeClock() });
      await expect(policy.execute(fail(new PaymentError('p')))).resolves.toBe('fb');
      await expect(policy.execute(fail(new CardDeclinedError('c')))).resolves.toBe('fb');
      await expect(policy.execute(fail(new TimeoutError('t', 1)))).resolves.toBe('fb');
      const other = new TypeError('bug');
      await expect(policy.execute(fail(other))).rejects.toBe(other);
      await expect(policy.execute(fail('not an error'))).rejects.toBe('not an error');
      expect(policy.fallbackCount).toBe(3);
    });

    it('uses a predicate, and a non-matching error is rethrown without calling the handler', async () => {
      const handler = jest.fn(() => 'fb');
      const policy = new FallbackPolicy({
        on: (error) => error instanceof Error && error.message.startsWith('5'),
        handler,
        clock: new FakeClock(),
      });
      await expect(policy.execute(fail(new Error('503')))).resolves.toBe('fb');
      const notFound = new Error('404');
      await expect(policy.execute(fail(notFound))).rejects.toBe(notFound);
      expect(handler).toHaveBeenCalledTimes(1);
    });

    it('treats a throwing predicate as no match: the original error surfaces', async () => {
      const policy = new FallbackPolicy({
        on: (error) => (error as { response: { status: number } }).response.status === 503,
        value: 'fb',
        clock: new FakeClock(),
      });
      const original = new Error('no response');
      await expect(policy.execute(fail(original))).rejects.toBe(original);
    });

    it('with an empty list never falls back', async () => {
      const policy = new FallbackPolicy({ on: [], value: 'fb', clock: new FakeClock() });
      const error = new Error('x');
      await expect(policy.execute(fail(error))).rejects.toBe(error);
    });
  });

  describe('staleIfError', () => {
    it('serves the last good result for the same args within maxAge, not after', async () => {
      const clock = new FakeClock(1_000);
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 60_000 }, value: 'default', clock });
      const error = new Error('down');
      await expect(policy.run(succeed(10), scope, ['sku-1'])).resolves.toBe(10);
      clock.advance(60_000);
      await expect(policy.run(fail(error), scope, ['sku-1'])).resolves.toBe(10);
      clock.advance(1);
      await expect(policy.run(fail(error), scope, ['sku-1'])).resolves.toBe('default');
      expect(policy.staleEntries).toBe(0);
    });

    it('rethrows the original error once the entry is too old and nothing else is configured', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 100 }, clock });
      await policy.run(succeed('A'), scope, ['a']);
      clock.advance(101);
      const error = new Error('down');
      await expect(policy.run(fail(error), scope, ['a'])).rejects.toBe(error);
    });

    it('keys by arguments: another argument list is not served', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 1_000 }, value: 'default', clock });
      await policy.run(succeed('A'), scope, ['a', 1]);
      await policy.run(succeed('B'), scope, ['b', 1]);
      await expect(policy.run(fail(new Error()), scope, ['a', 1])).resolves.toBe('A');
      await expect(policy.run(fail(new Error()), scope, ['b', 1])).resolves.toBe('B');
      await expect(policy.run(fail(new Error()), scope, ['a', 2])).resolves.toBe('default');
    });

    it('remembers the latest success and measures age from it', async () => {
      const clock = new FakeClock();
      const events: FallbackEvent[] = [];
      const policy = new FallbackPolicy({ name: 'pricing', staleIfError: { maxAge: 1_000 }, clock });
      policy.onFallback((e) => events.push(e));
      await policy.run(succeed('v1'), scope, ['a']);
      clock.advance(800);
      await policy.run(succeed('v2'), scope, ['a']);
      clock.advance(900);
      const error = new Error('down');
      await expect(policy.run(fail(error), scope, ['a'])).resolves.toBe('v2');
      expect(events).toEqual([{ name: 'pricing', source: 'stale', reason: 'error', error, ageMs: 900 }]);
    });

    it('takes precedence over the handler, which serves once the entry is stale', async () => {
      const clock = new FakeClock();
      const handler = jest.fn(() => 'handler');
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 50 }, handler, clock });
      await policy.run(succeed('cached'), scope, [1]);
      await expect(policy.run(fail(new Error()), scope, [1])).resolves.toBe('cached');
      expect(handler).not.toHaveBeenCalled();
      clock.advance(51);
      await expect(policy.run(fail(new Error()), scope, [1])).resolves.toBe('handler');
    });

    it('does not serve stale values for errors `on` excludes', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ on: [TimeoutError], staleIfError: { maxAge: 50 }, clock });
      await policy.run(succeed('cached'), scope, [1]);
      const error = new RangeError('bad input');
      await expect(policy.run(fail(error), scope, [1])).rejects.toBe(error);
      await expect(policy.run(fail(new TimeoutError('t', 1)), scope, [1])).resolves.toBe('cached');
    });

    it('evicts the least recently used argument list at maxEntries', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 10_000, maxEntries: 2 }, value: 'miss', clock });
      await policy.run(succeed('A'), scope, ['a']);
      await policy.run(succeed('B'), scope, ['b']);
      await policy.run(fail(new Error()), scope, ['a']); // a stale hit makes 'a' recently used
      await policy.run(succeed('C'), scope, ['c']);
      expect(policy.staleEntries).toBe(2);
      await expect(policy.run(fail(new Error()), scope, ['b'])).resolves.toBe('miss');
      await expect(policy.run(fail(new Error()), scope, ['a'])).resolves.toBe('A');
      await expect(policy.run(fail(new Error()), scope, ['c'])).resolves.toBe('C');
    });

    it('defaults to 1000 entries', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 10_000 }, value: 'miss', clock });
      for (let i = 0; i <= 1_000; i++) await policy.run(succeed(i), scope, [i]);
      expect(policy.staleEntries).toBe(1_000);
      await expect(policy.run(fail(new Error()), scope, [0])).resolves.toBe('miss');
      await expect(policy.run(fail(new Error()), scope, [1])).resolves.toBe(1);
    });

    it('applies map to a stale value with its age and the error', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({
        staleIfError: {
          maxAge: 5_000,
          map: (value, info) => ({ value, stale: true, ageMs: info.ageMs, cause: info.error }),
        },
        clock,
      });
      await expect(policy.run(succeed(42), scope, ['x'])).resolves.toBe(42);
      clock.advance(1_234);
      const error = new CircuitOpenError('pricing', 28_766);
      await expect(policy.run(fail(error), scope, ['x'])).resolves.toEqual({ value: 42, stale: true, ageMs: 1_234, cause: error });
    });

    it('rejects with the error of a throwing map', async () => {
      const clock = new FakeClock();
      const mapError = new Error('map broke');
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 100, map: () => { throw mapError; } }, clock });
      await policy.run(succeed(1), scope, []);
      await expect(policy.run(fail(new Error('x')), scope, [])).rejects.toBe(mapError);
    });

    it('uses a custom key function on the arguments', async () => {
      const clock = new FakeClock();
      const key = jest.fn((sku: unknown) => String(sku));
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 100 }, key, value: 'miss', clock });
      await policy.run(succeed('by-sku'), scope, ['sku-1', { traceId: 1 }]);
      await expect(policy.run(fail(new Error()), scope, ['sku-1', { traceId: 2 }])).resolves.toBe('by-sku');
      expect(key.mock.calls).toEqual([
        ['sku-1', { traceId: 1 }],
        ['sku-1', { traceId: 2 }],
      ]);
    });

    it('keys by the arguments as they were when the call started', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 100 }, value: 'miss', clock });
      const query = { page: 1 };
      await policy.run(() => {
        query.page = 2; // an operation mutating its argument must not misfile its result
        return 'page-1';
      }, scope, [query]);
      await expect(policy.run(fail(new Error()), scope, [{ page: 1 }])).resolves.toBe('page-1');
      await expect(policy.run(fail(new Error()), scope, [{ page: 2 }])).resolves.toBe('miss');
    });

    it('silently skips caching when the key cannot be computed', async () => {
      const clock = new FakeClock();
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 100 }, value: 'miss', clock });
      await expect(policy.run(succeed('c'), scope, [circular])).resolves.toBe('c');
      await expect(policy.run(succeed('b'), scope, [10n])).resolves.toBe('b');
      expect(policy.staleEntries).toBe(0);
      await expect(policy.run(fail(new Error()), scope, [circular])).resolves.toBe('miss');
      await expect(policy.run(fail(new Error()), scope, [10n])).resolves.toBe('miss');

      const throwingKey = new FallbackPolicy({ staleIfError: { maxAge: 100 }, key: () => { throw new Error('key'); }, clock });
      await expect(throwingKey.run(succeed('ok'), scope, [1])).resolves.toBe('ok');
      const error = new Error('down');
      await expect(throwingKey.run(fail(error), scope, [1])).rejects.toBe(error);
    });

    it('forgets everything on clearStale', async () => {
      const clock = new FakeClock();
      const policy = new FallbackPolicy({ staleIfError: { maxAge: 100 }, value: 'miss', clock });
      await policy.run(succeed('A'), scope, ['a']);
      policy.clearStale();
      expect(policy.staleEntries).toBe(0);
      await expect(policy.run(fail(new Error()), scope, ['a'])).resolves.toBe('miss');
    });

    it('serves exactly what a model of "last success per key within maxAge" predicts', async () => {
      const step = fc.record({
        key: fc.integer({ min: 0, max: 3 }),
        ok: fc.boolean(),
        advance: fc.integer({ min: 0, max: 400 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
          const clock = new FakeClock();
          const policy = new FallbackPolicy({ staleIfError: { maxAge: 500 }, value: 'miss', clock });
          const model = new Map<number, { value: number; at: number }>();
          for (const [i, s] of steps.entries()) {
            clock.advance(s.advance);
            if (s.ok) {
              await expect(policy.run(succeed(i), scope, [s.key])).resolves.toBe(i);
              model.set(s.key, { value: i, at: clock.now() });
            } else {
              const entry = model.get(s.key);
              const expected = entry !== undefined && clock.now() - entry.at <= 500 ? entry.value : 'miss';
              await expect(policy.run(fail(new Error()), scope, [s.key])).resolves.toBe(expected);
            }
          }
        }),
      );
    });
  });

  describe('events and counters', () => {
    it('emits onFallback with the source, the reason and the error, and counts per reason', async () => {
      const events: FallbackEvent[] = [];
      const policy = new FallbackPolicy({ name: 'pricing', handler: () => 'h', clock: new FakeClock() });
      const subscription = policy.onFallback((event) => events.push(event));
      const open = new CircuitOpenError('pricing', 1_000);
      const timeout = new TimeoutError('pricing', 3_000);
      const full = new BulkheadFullError('pricing', 4, 16);
      const other = new Error('boom');
      for (const error of [open, timeout, timeout, full, other, 'str']) await policy.execute(fail(error));
      expect(events).toEqual([
        { name: 'pricing', source: 'handler', reason: 'circuit_open', error: open },
        { name: 'pricing', source: 'handler', reason: 'timeout', error: timeout },
        { name: 'pricing', source: 'handler', reason: 'timeout', error: timeout },
        { name: 'pricing', source: 'handler', reason: 'bulkhead_full', error: full },
        { name: 'pricing', source: 'handler', reason: 'error', error: other },
        { name: 'pricing', source: 'handler', reason: 'error', error: 'str' },
      ]);
      expect(events.every((e) => !('ageMs' in e))).toBe(true);
      expect(policy.fallbackCounts).toEqual({ circuit_open: 1, timeout: 2, bulkhead_full: 1, error: 2, result: 0 });
      expect(policy.fallbackCount).toBe(6);

      subscription.dispose();
      await policy.execute(fail(other));
      expect(events).toHaveLength(6);
      expect(policy.fallbackCounts.error).toBe(3);
    });

    it('reports source value, and nothing when the error is rethrown', async () => {
      const events: FallbackEvent[] = [];
      const policy = new FallbackPolicy({ on: [TimeoutError], value: 0, clock: new FakeClock() });
      policy.onFallback((event) => events.push(event));
      const timeout = new TimeoutError('t', 1);
      await policy.execute(fail(timeout));
      await policy.execute(fail(new Error('rethrown'))).catch(() => undefined);
      expect(events).toEqual([{ name: 'fallback', source: 'value', reason: 'timeout', error: timeout }]);
      expect(policy.fallbackCount).toBe(1);
    });

    it('hands out a snapshot of the counters', () => {
      const policy = new FallbackPolicy({ value: 0, clock: new FakeClock() });
      const counts = policy.fallbackCounts as { error: number };
      counts.error = 99;
      expect(policy.fallbackCounts.error).toBe(0);
    });

    it('keeps working when a listener throws', async () => {
      const policy = new FallbackPolicy({ value: 'fb', clock: new FakeClock() });
      policy.onFallback(() => {
        throw new Error('observer bug');
      });
      await expect(policy.execute(fail(new Error('x')))).resolves.toBe('fb');
    });
  });

  describe('fallbackReason', () => {
    it('classifies policy errors by class and everything else as error', () => {
      expect(fallbackReason(new CircuitOpenError('b', 10))).toBe('circuit_open');
      expect(fallbackReason(new TimeoutError('t', 10))).toBe('timeout');
      expect(fallbackReason(new BulkheadFullError('b', 1, 0))).toBe('bulkhead_full');
      expect(fallbackReason(new Error('TimeoutError'))).toBe('error');
      expect(fallbackReason(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe('error');
      expect(fallbackReason(undefined)).toBe('error');
      expect(fallbackReason('circuit_open')).toBe('error');
    });
  });
});

describe('FallbackPolicy and cancellation', () => {
  it('does not fall back when the caller cancelled the call or its own deadline passed, but does when the call timed out', async () => {
    const handler = jest.fn(() => 'fallback');
    const policy = new FallbackPolicy({ handler });
    const controller = new AbortController();
    const reason = new Error('caller left');
    const pending = policy.execute(() => new Promise((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason))), controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);

    // The caller's budget ran out (an outer deadline): the caller is gone, nothing to stand in for.
    const scope = ExecutionScope.cancellable();
    const outerDeadline = new TimeoutError('outer', 5);
    const timingOut = (): Promise<never> => {
      scope.abort(outerDeadline);
      return Promise.reject(outerDeadline);
    };
    await expect(policy.run(timingOut, scope)).rejects.toBe(outerDeadline);
    expect(handler).not.toHaveBeenCalled();

    // The call's own timeout (inside the fallback) is a failure like any other.
    const clock = new FakeClock();
    const stack = new ComposedPolicy([policy, new TimeoutPolicy({ duration: 5, clock })]);
    const result = stack.execute(() => new Promise(() => undefined));
    await clock.tickAsync(5);
    await expect(result).resolves.toBe('fallback');
  });
});

describe('FallbackPolicy onResult', () => {
  type Quote = { price: number | null; degraded?: boolean };
  const degraded = (value: unknown): boolean => typeof value === 'object' && value !== null && (value as Quote).degraded === true;
  const quote = (price: number | null, isDegraded = false) => (): Promise<Quote> => Promise.resolve({ price, degraded: isDegraded });

  it('falls back on a value it rejects: the handler gets the arguments, then the value in the error’s place', async () => {
    const clock = new FakeClock();
    const handler = jest.fn((sku: string, rejected: unknown) => ({ price: 1, from: `${sku}:${JSON.stringify(rejected)}` }));
    const policy = new FallbackPolicy({ name: 'pricing', handler, onResult: degraded, clock });
    const events: FallbackEvent[] = [];
    policy.onFallback((event) => events.push(event));
    const rejected = { price: null, degraded: true };
    await expect(policy.run(() => Promise.resolve(rejected), scope, ['sku-1'])).resolves.toEqual({ price: 1, from: `sku-1:${JSON.stringify(rejected)}` });
    expect(handler).toHaveBeenCalledWith('sku-1', rejected);
    await expect(policy.run(quote(42), scope, ['sku-1'])).resolves.toEqual({ price: 42, degraded: false });
    expect(events).toEqual([{ name: 'pricing', source: 'handler', reason: 'result', error: rejected }]);
    expect(policy.fallbackCounts).toEqual({ circuit_open: 0, timeout: 0, bulkhead_full: 0, error: 0, result: 1 });
    expect(policy.fallbackCount).toBe(1);
  });

  it('serves the last good value (never a rejected one) before the handler, and the value option last', async () => {
    const clock = new FakeClock();
    const policy = new FallbackPolicy({ onResult: degraded, staleIfError: { maxAge: 1_000 }, value: { price: 0 }, clock });
    await expect(policy.run(quote(10), scope, ['a'])).resolves.toEqual({ price: 10, degraded: false });
    await expect(policy.run(quote(null, true), scope, ['a'])).resolves.toEqual({ price: 10, degraded: false }); // stale
    await expect(policy.run(quote(null, true), scope, ['b'])).resolves.toEqual({ price: 0 }); // no stale: value
    // The rejected values were never remembered: only a's good one.
    expect(policy.staleEntries).toBe(1);
    clock.advance(2_000);
    await expect(policy.run(quote(null, true), scope, ['a'])).resolves.toEqual({ price: 0 }); // too old
    const map = jest.fn((value: unknown, info: { ageMs: number; error: unknown }) => ({ ...(value as Quote), stale: info.ageMs, why: info.error }));
    const mapped = new FallbackPolicy({ onResult: degraded, staleIfError: { maxAge: 1_000, map }, clock });
    await mapped.run(quote(5), scope, ['a']);
    clock.advance(30);
    const bad = { price: null, degraded: true };
    await expect(mapped.run(() => Promise.resolve(bad), scope, ['a'])).resolves.toEqual({ price: 5, degraded: false, stale: 30, why: bad });
  });

  it('with nothing to stand in, resolves with the rejected value; a throwing predicate keeps the value; a throwing handler rejects', async () => {
    const clock = new FakeClock();
    const bare = new FallbackPolicy({ onResult: degraded, staleIfError: { maxAge: 1_000 }, clock });
    await expect(bare.run(quote(null, true), scope, ['x'])).resolves.toEqual({ price: null, degraded: true });
    expect(bare.fallbackCount).toBe(0);
    const throwing = new FallbackPolicy({ value: 'fallback', onResult: () => { throw new Error('predicate bug'); }, clock });
    await expect(throwing.execute(succeed('fresh'))).resolves.toBe('fresh');
    const failingHandler = new FallbackPolicy({ handler: () => { throw new RangeError('handler bug'); }, onResult: degraded, clock });
    await expect(failingHandler.execute(quote(null, true))).rejects.toBeInstanceOf(RangeError);
  });

  it('leaves errors to `on`: a result predicate does not filter them', async () => {
    const policy = new FallbackPolicy({ value: 'fallback', on: [PaymentError], onResult: degraded, clock: new FakeClock() });
    await expect(policy.execute(fail(new CardDeclinedError()))).resolves.toBe('fallback');
    const other = new Error('other');
    await expect(policy.execute(fail(other))).rejects.toBe(other);
  });

  it('is validated', () => {
    expect(() => new FallbackPolicy({ name: 'p', onResult: 3 as never })).toThrow('fallbacks.p.onResult must be a function (got 3)');
  });

  it('works the same in a composition, after retries too', async () => {
    const clock = new FakeClock();
    const fallback = new FallbackPolicy({ handler: (sku: string) => ({ price: -1, sku }), onResult: degraded, staleIfError: { maxAge: 1_000 }, clock });
    const breaker = new CircuitBreakerPolicy({ clock });
    const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 0, retryOnResult: degraded, clock });
    const timeout = new TimeoutPolicy({ duration: 100, clock });
    for (const stack of [new ComposedPolicy([fallback, breaker, timeout], 'a'), new ComposedPolicy([fallback, retry, breaker], 'b')]) {
      await expect(stack.run(quote(null, true), scope, ['new-sku'])).resolves.toEqual({ price: -1, sku: 'new-sku' });
      await expect(stack.run(quote(3), scope, ['sku'])).resolves.toEqual({ price: 3, degraded: false });
      await expect(stack.run(quote(null, true), scope, ['sku'])).resolves.toEqual({ price: 3, degraded: false });
    }
    expect(fallback.fallbackCounts.result).toBe(4);
  });
});
