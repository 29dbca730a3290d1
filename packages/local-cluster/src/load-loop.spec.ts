import { describe, expect, it, jest } from '@jest/globals';
import { LoadLoop } from './load-loop.js';
import { sleep } from './sleep.js';

describe('LoadLoop', () => {
  it('calls each target in its own loop, one call at a time, counting its calls', async () => {
    const calls: string[] = [];
    const inFlight = new Map<string, number>();
    let overlap = false;
    const loop = new LoadLoop(['a', 'b'], 10, async (target, n, position) => {
      if (inFlight.get(target)) overlap = true;
      inFlight.set(target, 1);
      calls.push(`${target}${position}:${n}`);
      await sleep(1);
      inFlight.set(target, 0);
    });

    loop.start();
    await sleep(60);
    await loop.stop();
    const settled = calls.length;
    await sleep(30);

    expect(overlap).toBe(false);
    expect(calls.length).toBe(settled); // no call after stop()
    const a = calls.filter((call) => call.startsWith('a'));
    const b = calls.filter((call) => call.startsWith('b'));
    expect(a.length).toBeGreaterThanOrEqual(3);
    expect(b.length).toBeGreaterThanOrEqual(3);
    expect(a).toEqual(a.map((_, n) => `a0:${n}`));
    expect(b).toEqual(b.map((_, n) => `b1:${n}`));
    expect(calls[0]).toBe('a0:0'); // b starts half an interval later
  });

  it('calls again right away when a call took longer than the interval, and waits out the rest otherwise', async () => {
    // Fake time: the loop's pacing is judged by the clock it reads, not by how busy the machine is.
    jest.useFakeTimers({ now: 0 });
    try {
      const starts: number[] = [];
      const durations = [80, 80, 20, 60]; // the last overruns too, so stopping needs no timer
      const loop: LoadLoop<string> = new LoadLoop(['slow'], 50, async (_target, n) => {
        starts.push(Date.now());
        jest.setSystemTime(Date.now() + durations[n]!);
        if (n === durations.length - 1) void loop.stop();
      });

      loop.start();
      await jest.advanceTimersByTimeAsync(0); // the first target's stagger is 0 ms
      // Calls 0 and 1 overran the 50 ms interval: each next call started without any timer.
      expect(starts).toEqual([0, 80, 160]);
      // Call 2 took 20 ms: the loop sleeps the 30 ms left of its interval, not a moment less.
      await jest.advanceTimersByTimeAsync(29);
      expect(starts).toEqual([0, 80, 160]);
      await jest.advanceTimersByTimeAsync(1);
      expect(starts).toEqual([0, 80, 160, 210]);
      await loop.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('makes no call when stopped during the staggered start', async () => {
    let calls = 0;
    const loop = new LoadLoop(['a', 'b', 'c'], 100, async () => {
      calls++;
    });

    loop.start();
    await loop.stop();
    await sleep(80);

    expect(calls).toBe(0);
  });
});
