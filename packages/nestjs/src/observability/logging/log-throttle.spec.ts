import { describe, expect, it } from '@jest/globals';
import { FakeClock, type Clock, type TimerHandle } from '@bulwark/core';
import { formatDuration, LogThrottle, type LogLine } from './log-throttle.js';

const warn = (message: string): LogLine => ({ level: 'warn', message });

describe('LogThrottle', () => {
  it('writes one line per key per interval, then the latest repeat with the count', () => {
    const clock = new FakeClock();
    const written: string[] = [];
    const throttle = new LogThrottle(1_000, clock, (line) => written.push(line.message));
    throttle.submit('a', warn('a1'));
    throttle.submit('b', warn('b1'));
    clock.advance(100);
    throttle.submit('a', warn('a2'));
    throttle.submit('a', warn('a3'));
    expect(written).toEqual(['a1', 'b1']);
    expect([clock.pendingTimers, clock.refedTimers]).toEqual([1, 0]); // a summary never keeps the process alive
    clock.advance(900);
    expect(written).toEqual(['a1', 'b1', 'a3 [1 similar line suppressed; this is the latest of the last 1 s]']);
    // The summary opened a new interval: a repeat right after it waits again.
    throttle.submit('a', warn('a4'));
    expect(written).toHaveLength(3);
  });

  it('puts the count on the next line when that line comes before the summary timer ran', () => {
    let now = 0;
    const timers: (() => void)[] = [];
    // A clock whose timers never fire by themselves (a busy event loop).
    const clock: Clock = {
      now: () => now,
      setTimeout: (callback) => {
        timers.push(callback);
        return { ref: () => undefined, unref: () => undefined } as TimerHandle;
      },
      clearTimeout: () => undefined,
    };
    const written: string[] = [];
    const throttle = new LogThrottle(1_000, clock, (line) => written.push(line.message));
    throttle.submit('a', warn('a1'));
    now = 10;
    throttle.submit('a', warn('a2'));
    throttle.submit('a', warn('a3'));
    now = 1_500;
    throttle.submit('a', warn('a4'));
    expect(written).toEqual(['a1', 'a4 [2 similar lines suppressed before this one]']);
    timers[0]!(); // the late timer finds nothing left to write
    expect(written).toHaveLength(2);
  });

  it('writes pending repeats when disposed, and every line with a zero interval', () => {
    const clock = new FakeClock();
    const written: string[] = [];
    const throttle = new LogThrottle(1_000, clock, (line) => written.push(line.message));
    throttle.submit('a', warn('a1'));
    throttle.submit('a', warn('a2'));
    throttle.dispose();
    expect(written).toEqual(['a1', 'a2 [delayed by the log rate limit]']);
    expect(clock.pendingTimers).toBe(0);

    const all: string[] = [];
    const unlimited = new LogThrottle(0, clock, (line) => all.push(line.message));
    for (let i = 0; i < 3; i++) unlimited.submit('a', warn(`a${i}`));
    expect(all).toEqual(['a0', 'a1', 'a2']);
  });

  it('formats durations for people', () => {
    expect([850, 1_000, 2_500, 30_000, 65_000, 120_000, 3_600_000, 3_900_000, Infinity].map(formatDuration)).toEqual([
      '850 ms',
      '1 s',
      '2.5 s',
      '30 s',
      '1 min 5 s',
      '2 min',
      '1 h',
      '1 h 5 min',
      'indefinitely',
    ]);
  });
});
