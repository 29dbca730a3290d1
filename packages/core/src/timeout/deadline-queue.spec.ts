import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FakeClock } from '../clock/fake-clock.js';
import { DeadlineQueue, type DeadlineEntry } from './deadline-queue.js';

class Entry implements DeadlineEntry {
  settled = false;
  queueSlot = -1;
  expired = 0;
  onExpire: (() => void) | undefined = undefined;

  constructor(
    readonly id: number,
    readonly deadline: number,
  ) {}

  expire(): void {
    this.expired++;
    this.onExpire?.();
  }
}

const DURATION = 100;

type Step = { kind: 'add' } | { kind: 'settle'; pick: number } | { kind: 'advance'; ms: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'add' }),
  fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2 * DURATION }) }),
);

describe('DeadlineQueue', () => {
  it('expires exactly the entries whose deadline passed unsettled, once, in deadline order, and keeps the process alive only for pending entries (model check)', () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { maxLength: 300 }), (steps) => {
        const clock = new FakeClock();
        const queue = new DeadlineQueue(clock);
        const live: Entry[] = [];
        const expiredOrder: number[] = [];
        let next = 0;
        for (const step of steps) {
          if (step.kind === 'add') {
            const entry = new Entry(next++, clock.now() + DURATION);
            entry.onExpire = () => {
              expect(clock.now()).toBeGreaterThanOrEqual(entry.deadline); // never early
              expiredOrder.push(entry.id);
            };
            queue.add(entry);
            live.push(entry);
          } else if (step.kind === 'settle') {
            if (live.length === 0) continue;
            const entry = live.splice(step.pick % live.length, 1)[0]!;
            expect(queue.settle(entry)).toBe(true);
            expect(queue.settle(entry)).toBe(false);
          } else {
            const now = clock.now() + step.ms;
            clock.advance(step.ms);
            // The model: everything live whose deadline has passed is expired now, oldest first.
            const due = live.filter((entry) => entry.deadline <= now);
            for (const entry of due) {
              expect(entry.expired).toBe(1);
              expect(entry.settled).toBe(true);
              expect(queue.settle(entry)).toBe(false);
              live.splice(live.indexOf(entry), 1);
            }
          }
          expect(queue.size).toBe(live.length);
          for (const entry of live) expect(entry.expired).toBe(0);
          // One timer at most, ref'd exactly while anything is pending.
          expect(clock.pendingTimers).toBeLessThanOrEqual(1);
          expect(clock.refedTimers).toBe(live.length > 0 ? 1 : 0);
        }
        expect([...expiredOrder].sort((a, b) => a - b)).toEqual(expiredOrder);
      }),
      { numRuns: 300 },
    );
  });

  it('copes with an expiry that settles, expires and adds entries of the same queue', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const first = new Entry(0, DURATION);
    const second = new Entry(1, DURATION);
    const third = new Entry(2, DURATION + 1);
    let added: Entry | undefined;
    first.onExpire = () => {
      queue.settle(third); // settled from inside another entry's expiry
      added = new Entry(3, clock.now() + DURATION);
      queue.add(added);
    };
    for (const entry of [first, second, third]) queue.add(entry);

    clock.advance(DURATION);
    expect([first.expired, second.expired, third.expired]).toEqual([1, 1, 0]);
    expect(queue.size).toBe(1);
    clock.advance(DURATION);
    expect(added!.expired).toBe(1);
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps working across compactions of a long-lived backlog', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const entries: Entry[] = [];
    const settled = new Set<Entry>();
    // The queue's array references exactly the pending entries (none left behind by a compaction).
    const referenced = (): number => (queue as unknown as { entries: unknown[] }).entries.filter((slot) => slot !== undefined).length;
    // Steady traffic for 3 s: one call per ms, each with 100 ms to live, every third settled 50 ms in.
    // The timer keeps expiring the oldest while ~100 are pending, so the queue compacts many times.
    for (let i = 0; i < 3_000; i++) {
      const entry = new Entry(i, clock.now() + DURATION);
      entry.onExpire = () => expect(clock.now()).toBe(entry.deadline);
      queue.add(entry);
      entries.push(entry);
      const old = entries[i - 50];
      if (old !== undefined && old.id % 3 === 0) {
        expect(queue.settle(old)).toBe(true);
        settled.add(old);
      }
      clock.advance(1);
      expect(referenced()).toBe(queue.size);
    }
    clock.advance(DURATION);
    for (const entry of entries) expect(entry.expired).toBe(settled.has(entry) ? 0 : 1);
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reuses its first slots for one-at-a-time traffic, and lets a burst\'s array go once it empties', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const slots = (): number => (queue as unknown as { entries: unknown[] }).entries.length;
    for (let i = 0; i < 10_000; i++) {
      const entry = new Entry(i, clock.now() + DURATION);
      queue.add(entry);
      expect(entry.queueSlot).toBe(i); // slot numbers keep growing: a stale one never matches a new entry
      queue.settle(entry);
    }
    expect(slots()).toBe(1);
    const burst = Array.from({ length: 5_000 }, (_, i) => new Entry(i, clock.now() + DURATION));
    for (const entry of burst) queue.add(entry);
    expect(slots()).toBe(5_000);
    for (const entry of burst) queue.settle(entry);
    expect(slots()).toBe(0);
    expect(queue.size).toBe(0);
  });

  it('holds no reference to an entry once it settled, even while others are pending', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const pending = new Entry(0, DURATION);
    queue.add(pending);
    const settled = (): WeakRef<Entry> => {
      const entry = new Entry(1, DURATION);
      queue.add(entry);
      queue.settle(entry);
      return new WeakRef(entry);
    };
    const ref = settled();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    // A queue that kept settled calls until its timer fired would keep every finished call (its
    // arguments, its scope) alive for a whole timeout, and push them into the old generation.
    expect(ref.deref()).toBeUndefined();
    expect(queue.size).toBe(1);
  });
});
