import { describe, expect, it } from '@jest/globals';
import { poolCapacity, WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

/** A discrete-event clock: callbacks run in time order (FIFO among equal times) when `run` advances. */
function simulation(): { now: () => number; schedule: (ms: number, callback: () => void) => void; run: () => void } {
  let now = 0;
  let sequence = 0;
  const events: { at: number; sequence: number; callback: () => void }[] = [];
  return {
    now: () => now,
    schedule: (ms, callback) => events.push({ at: now + ms, sequence: sequence++, callback }),
    run: () => {
      while (events.length > 0) {
        events.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
        const next = events.shift()!;
        now = next.at;
        next.callback();
      }
    },
  };
}

const POOL: WorkerPoolOptions = { workers: 4, serviceMs: 100, contention: 0.5, maxSlowdown: 1.5 };

describe('WorkerPool', () => {
  it('serves `workers` requests at once and queues the rest in arrival order', () => {
    const sim = simulation();
    const pool = new WorkerPool({ ...POOL, contention: 0 }, sim.schedule);
    const finished: [request: number, at: number][] = [];
    for (let request = 0; request < 6; request++) pool.submit(() => finished.push([request, sim.now()]));
    expect([pool.inService, pool.queued]).toEqual([4, 2]);
    sim.run();
    expect(finished).toEqual([[0, 100], [1, 100], [2, 100], [3, 100], [4, 200], [5, 200]]);
    expect([pool.inService, pool.queued]).toEqual([0, 0]);
  });

  it('slows a request that starts with others waiting (contention), never beyond maxSlowdown', () => {
    const sim = simulation();
    const pool = new WorkerPool(POOL, sim.schedule);
    expect(pool.serviceTimeMs()).toBe(100);
    const finished: number[] = [];
    // 4 in service at once (nothing waits when each starts), then 8 waiting.
    for (let request = 0; request < 12; request++) pool.submit(() => finished.push(sim.now()));
    expect(pool.queued).toBe(8);
    // 8 waiting / 4 workers * 0.5 = +100 %, capped at +50 %.
    expect(pool.serviceTimeMs()).toBe(150);
    sim.run();
    // At 100 the first four end; the next four start with 7, 6, 5, 4 still waiting (capped: 150 ms each).
    expect(finished.slice(4, 8)).toEqual([250, 250, 250, 250]);
    // Then 3, 2, 1, 0 waiting: 100 ms * (1 + 0.5 * q / 4).
    expect(finished.slice(8).sort((a, b) => a - b)).toEqual([250 + 100, 250 + 112.5, 250 + 125, 250 + 137.5]);
  });

  it('keeps FIFO order through a long backlog (compaction included)', () => {
    const sim = simulation();
    const pool = new WorkerPool({ ...POOL, workers: 1, contention: 0 }, sim.schedule);
    const order: number[] = [];
    for (let request = 0; request < 5_000; request++) pool.submit(() => order.push(request));
    sim.run();
    expect(order).toEqual(Array.from({ length: 5_000 }, (_, index) => index));
  });

  it('has a capacity of workers / service time', () => {
    expect(poolCapacity(POOL)).toBe(40);
    expect(poolCapacity({ workers: 16, serviceMs: 100, contention: 0.1, maxSlowdown: 2 })).toBe(160);
  });
});
