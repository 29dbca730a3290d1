import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/fake-clock.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { composePolicies } from '../composition/compose-policies.js';
import { RetryPolicy } from './retry.policy.js';
import { parseRetryAfter, serverRetryDelay } from './server-retry-delay.js';

/** An error as axios / @nestjs/axios throw it for an HTTP answer. */
function httpError(status: number, headers: Record<string, string>): Error {
  return Object.assign(new Error(`HTTP ${status}`), { response: { status, headers } });
}

/** Runs `policy` on an operation that fails with `failures` in turn, then succeeds; returns when each attempt started (ms after the call). */
async function attemptTimes(clock: FakeClock, policy: RetryPolicy | ReturnType<typeof composePolicies>, failures: unknown[]) {
  const times: number[] = [];
  const start = clock.now();
  const outcome = policy
    .execute(async () => {
      times.push(clock.now() - start);
      const failure = failures[times.length - 1];
      if (failure !== undefined) throw failure;
      return 'ok';
    })
    .then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  await clock.runAllAsync();
  return { times, outcome: await outcome };
}

describe('serverRetryDelay', () => {
  it('reads Retry-After (seconds or an HTTP date), gRPC pushback, CircuitOpenError and retryAfterMs', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(serverRetryDelay(httpError(503, { 'retry-after': '3' }))).toBe(3_000);
    expect(serverRetryDelay(httpError(429, { 'retry-after': 'Tue, 01 Jan 2030 00:00:07 GMT' }), () => now)).toBe(7_000);
    expect(serverRetryDelay(httpError(429, { 'retry-after': 'Mon, 31 Dec 2029 23:00:00 GMT' }), () => now)).toBe(0);
    expect(serverRetryDelay({ status: 503, headers: new Headers({ 'Retry-After': '2' }) })).toBe(2_000);
    expect(serverRetryDelay({ headers: { 'grpc-retry-pushback-ms': '250' } })).toBe(250);
    expect(serverRetryDelay({ headers: { 'grpc-retry-pushback-ms': '-1' } })).toBe(Infinity);
    expect(serverRetryDelay(new CircuitOpenError('pricing', 1_234))).toBe(1_234);
    expect(serverRetryDelay(Object.assign(new Error('x'), { retryAfterMs: 40 }))).toBe(40);
    for (const nothing of [new Error('plain'), 'text', null, undefined, httpError(500, {}), httpError(503, { 'retry-after': 'soon' })]) {
      expect(serverRetryDelay(nothing)).toBeUndefined();
    }
    const hostile = { get headers(): never { throw new Error('boom'); } };
    expect(serverRetryDelay(hostile)).toBeUndefined();
    expect(parseRetryAfter(' 10 ', 0)).toBe(10_000);
  });
});

describe('RetryPolicy and the server’s time', () => {
  it('never retries before the server said, jitter included', async () => {
    const clock = new FakeClock();
    // Full jitter with a source at 0: the backoff alone would retry at once.
    const retry = new RetryPolicy({ maxRetries: 3, baseDelay: 100, random: () => 0, clock });
    const { times, outcome } = await attemptTimes(clock, retry, [httpError(503, { 'retry-after': '2' }), httpError(429, { 'retry-after': '1' })]);
    expect(times).toEqual([0, 2_000, 3_000]);
    expect(outcome).toEqual({ value: 'ok' });
  });

  it('keeps the backoff when it is longer than what the server asked', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 500, jitter: 'none', clock });
    const { times } = await attemptTimes(clock, retry, [{ headers: { 'grpc-retry-pushback-ms': '100' } }]);
    expect(times).toEqual([0, 500]);
  });

  it('rethrows the original error at once when the server asks for longer than maxDelay, or for no retry', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxRetries: 3, maxDelay: 5_000, clock });
    const tooLong = httpError(503, { 'retry-after': '60' });
    const first = await attemptTimes(clock, retry, [tooLong]);
    expect(first.times).toEqual([0]);
    expect(first.outcome).toEqual({ error: tooLong });
    const never = { headers: { 'grpc-retry-pushback-ms': '-1' } };
    expect((await attemptTimes(clock, retry, [never])).times).toHaveLength(1);
  });

  it('rethrows at once when the server’s time would pass the call’s deadline', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxRetries: 3, clock });
    const stack = composePolicies(new TimeoutPolicy({ duration: 10_000, clock }), retry);
    // The timeout bounds each attempt, not the call: bound the call with an outer one.
    const outer = new TimeoutPolicy({ name: 'outer', duration: 3_000, clock });
    const failure = httpError(503, { 'retry-after': '5' });
    const times: number[] = [];
    const result = outer
      .execute(() =>
        stack.execute(async () => {
          times.push(clock.now());
          throw failure;
        }),
      )
      .catch((error: unknown) => error);
    await clock.runAllAsync();
    expect(await result).toBe(failure);
    expect(times).toEqual([0]);
  });

  it('waits for an open breaker when asked to retry CircuitOpenError', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxRetries: 1, retryOnCircuitOpen: true, random: () => 0, clock });
    const { times } = await attemptTimes(clock, retry, [new CircuitOpenError('pricing', 800)]);
    expect(times).toEqual([0, 800]);
  });

  it('can ignore servers, or read them its own way', async () => {
    const clock = new FakeClock();
    const ignoring = new RetryPolicy({ maxRetries: 1, baseDelay: 10, jitter: 'none', retryAfter: false, clock });
    expect((await attemptTimes(clock, ignoring, [httpError(503, { 'retry-after': '60' })])).times).toEqual([0, 10]);
    const custom = new RetryPolicy({ maxRetries: 1, baseDelay: 10, jitter: 'none', retryAfter: (error) => (error as { waitMs?: number }).waitMs, clock });
    expect((await attemptTimes(clock, custom, [{ waitMs: 70 }])).times).toEqual([0, 70]);
    const throwing = new RetryPolicy({ maxRetries: 1, baseDelay: 10, jitter: 'none', retryAfter: () => { throw new Error('bug'); }, clock });
    expect((await attemptTimes(clock, throwing, [new Error('x')])).times).toEqual([0, 10]);
    expect(() => new RetryPolicy({ retryAfter: 5 as never })).toThrow('retryAfter must be a function of the failed outcome or false (got 5)');
  });
});
