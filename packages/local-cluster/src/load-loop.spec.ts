import { describe, expect, it } from '@jest/globals';
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

  it('calls again right away when a call took longer than the interval', async () => {
    const starts: number[] = [];
    const loop = new LoadLoop(['slow'], 5, async () => {
      starts.push(Date.now());
      await sleep(20);
    });

    loop.start();
    await sleep(70);
    await loop.stop();

    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeLessThan(40);
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
