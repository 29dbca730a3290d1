import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { systemClock, wallTime } from './clock.js';
import { FakeClock } from './fake-clock.js';

describe('systemClock', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('measures on a monotonic scale: a step of the wall clock moves no reading', () => {
    const before = systemClock.now();
    jest.spyOn(Date, 'now').mockReturnValue(0); // the wall clock stepped back to 1970
    const after = systemClock.now();
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after - before).toBeLessThan(60_000);
  });

  it('shows a reading as the wall-clock time of that instant, as of when it is shown', () => {
    const reading = systemClock.now();
    const wall = wallTime(systemClock, reading)!;
    expect(Math.abs(wall - Date.now())).toBeLessThanOrEqual(2);
    // After a wall-clock step back of 5 s the same instant reads 5 s earlier: the step shows in
    // what people read, never in what the policies measure.
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 5_000);
    expect(wall - wallTime(systemClock, reading)!).toBeGreaterThanOrEqual(4_998);
  });

  it('an open breaker keeps its recovery time across a wall-clock step back', async () => {
    const breaker = new CircuitBreakerPolicy({ failureThreshold: 1, recoveryTimeout: 60_000 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() - 60_000);
    const error = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    // Still announces at most a minute: a Date.now() clock would now say two.
    expect((error as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((error as CircuitOpenError).retryAfterMs).toBeGreaterThan(59_000);
  });
});

describe('wallTime', () => {
  it('passes readings of a clock without toWallTime through, and null or non-finite as null', () => {
    const clock = new FakeClock(1_700_000_000_000);
    expect(wallTime(clock, clock.now())).toBe(1_700_000_000_000);
    expect(wallTime(clock, null)).toBeNull();
    expect(wallTime(clock, Infinity)).toBeNull();
  });
});

describe('FakeClock.settle', () => {
  it('moves time until a retry that waits on it has made every attempt, and hands back its outcome', async () => {
    const { RetryPolicy } = await import('../retry/retry.policy.js');
    const clock = new FakeClock();
    let attempts = 0;
    const retry = new RetryPolicy({ maxRetries: 3, baseDelay: 1_000, jitter: 'none', clock });
    const failing = retry.execute(() => {
      attempts++;
      return Promise.reject(new Error(`attempt ${attempts}`));
    });
    await expect(clock.settle(failing)).rejects.toThrow('attempt 4');
    expect(clock.now()).toBe(7_000); // 1 s + 2 s + 4 s of backoff, and not a millisecond more
    let tries = 0;
    const recovering = retry.execute(async () => (++tries < 3 ? Promise.reject(new Error('not yet')) : 'ok'));
    expect(await clock.settle(recovering)).toBe('ok');
  });

  it('waits for a promise no timer settles, and refuses to move past its limit', async () => {
    const clock = new FakeClock();
    const later = new Promise<string>((resolve) => setTimeout(() => resolve('io'), 2));
    expect(await clock.settle(later)).toBe('io');
    expect(clock.now()).toBe(0);
    clock.setTimeout(() => undefined, 10_000);
    await expect(clock.settle(new Promise(() => undefined), 5_000)).rejects.toThrow('still pending 5000 ms ahead');
  });
});
