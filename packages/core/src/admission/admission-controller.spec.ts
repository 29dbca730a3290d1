import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/fake-clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { LoadShedError } from '../errors/load-shed.error.js';
import type { LimitAlgorithm } from '../limit/limit-algorithm.interface.js';
import { AdmissionController, type AdmissionRelease } from './admission-controller.js';
import type { AdmissionControllerPolicyOptions } from './admission.options.js';

/** A limit set by the test, recording what it is fed. */
class ScriptedLimit implements LimitAlgorithm {
  readonly minLimit = 1;
  readonly maxLimit = 1_000;
  readonly samples: Array<[number, number, boolean]> = [];
  constructor(public limit: number) {}
  onSample(rtt: number, inFlight: number, dropped: boolean): number {
    this.samples.push([rtt, inFlight, dropped]);
    return this.limit;
  }
}

function track(promise: Promise<AdmissionRelease>): { release?: AdmissionRelease; error?: unknown; settled: boolean } {
  const state: { release?: AdmissionRelease; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (release) => Object.assign(state, { release, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

function controller(limit: number, options: AdmissionControllerPolicyOptions = {}): { clock: FakeClock; algorithm: ScriptedLimit; admission: AdmissionController } {
  const clock = new FakeClock();
  const algorithm = new ScriptedLimit(limit);
  return { clock, algorithm, admission: new AdmissionController({ clock, limit: algorithm, ...options }) };
}

describe('AdmissionController', () => {
  it('defaults: Gradient2 from 100 (bounds 10 to 1 000), a queue of 100, CoDel 5 ms / 100 ms', () => {
    const admission = new AdmissionController({ clock: new FakeClock() });
    expect(admission.snapshot()).toEqual({ limit: 100, inFlight: 0, queued: 0, shed: 0 });
    expect([admission.name, admission.maxQueue, admission.queueTarget, admission.queueInterval, admission.sheddableShare, admission.retryAfterMs]).toEqual([
      'loadShedding',
      100,
      5,
      100,
      0.75,
      1_000,
    ]);
    expect(new AdmissionController({ limit: { maxLimit: 40 } }).limit).toBe(40);
    expect(new AdmissionController({ limit: { algorithm: 'vegas', initialLimit: 12 } }).limit).toBe(12);
  });

  it('admits up to the limit; tryAcquire sheds beyond it; a release frees the place and is a sample', () => {
    const { clock, algorithm, admission } = controller(2);
    const first = admission.tryAcquire()!;
    const second = admission.tryAcquire('default')!;
    expect(admission.tryAcquire()).toBeUndefined();
    expect(admission.snapshot()).toEqual({ limit: 2, inFlight: 2, queued: 0, shed: 1 });
    clock.advance(12);
    first();
    first();
    second('dropped');
    expect(algorithm.samples).toEqual([
      [12, 2, false],
      [12, 1, true],
    ]);
    const third = admission.tryAcquire()!;
    third('ignored');
    expect(algorithm.samples).toHaveLength(2);
    expect(admission.inFlight).toBe(0);
  });

  it('always admits critical requests, even beyond the limit and past waiters', async () => {
    const { admission } = controller(1, { maxQueue: 1 });
    admission.tryAcquire();
    const waiting = track(admission.acquire('default'));
    const critical = await admission.acquire('critical');
    expect(admission.tryAcquire('critical')).toBeDefined();
    expect(admission.snapshot()).toMatchObject({ inFlight: 3, queued: 1, shed: 0 });
    critical();
    expect(waiting.settled).toBe(false);
  });

  it('sheds sheddable requests first: beyond sheddableShare of the limit, or while anyone waits, never queued', async () => {
    const { admission } = controller(4, { sheddableShare: 0.5, maxQueue: 5 });
    const releases = [admission.tryAcquire('sheddable')!, admission.tryAcquire('sheddable')!];
    const third = track(admission.acquire('sheddable'));
    await Promise.resolve();
    expect(third.error).toBeInstanceOf(LoadShedError);
    expect((third.error as LoadShedError).reason).toBe('capacity');
    expect(admission.tryAcquire('default')).toBeDefined();
    expect(admission.tryAcquire('default')).toBeDefined();
    const queued = track(admission.acquire('default'));
    releases[0]!();
    releases[1]!();
    await Promise.resolve();
    expect(queued.release).toBeDefined();
    // Room for sheddable ones again only once nobody waits and in flight is below half the limit.
    expect(admission.tryAcquire('sheddable')).toBeUndefined();
    expect(admission.snapshot()).toEqual({ limit: 4, inFlight: 3, queued: 0, shed: 2 });
  });

  it('sheds with a stackless LoadShedError carrying retryAfterMs when the queue is full', async () => {
    const { admission } = controller(1, { maxQueue: 1, retryAfterMs: 2_500 });
    admission.tryAcquire();
    const waiting = track(admission.acquire());
    const shed = track(admission.acquire());
    await Promise.resolve();
    const error = shed.error as LoadShedError;
    expect(error).toBeInstanceOf(LoadShedError);
    expect([error.name, error.reason, error.retryAfterMs, error.policyName]).toEqual(['LoadShedError', 'capacity', 2_500, 'loadShedding']);
    expect(error.message).toBe('Load shed by "loadShedding" (at capacity)');
    expect((error.stack ?? '').split('\n').filter((line) => line.trim().startsWith('at '))).toEqual([]);
    expect(waiting.settled).toBe(false);
  });

  it('grants waiters FIFO as places free up, and keeps one timer at most, cleared once the queue is empty', async () => {
    const { clock, admission } = controller(1, { maxQueue: 3 });
    const first = admission.tryAcquire()!;
    const order: string[] = [];
    const waiters = ['a', 'b', 'c'].map((id) => admission.acquire().then((release) => (order.push(id), release)));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(2);
    first();
    (await waiters[0]!)();
    (await waiters[1]!)();
    (await waiters[2]!)();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(clock.pendingTimers).toBe(0);
    expect(admission.snapshot()).toEqual({ limit: 1, inFlight: 0, queued: 0, shed: 0 });
  });

  it('a waiter whose signal aborts leaves the queue with the signal reason, is not counted as shed, and its timer goes', async () => {
    const { clock, admission } = controller(1);
    admission.tryAcquire();
    const signal = new AbortController();
    const waiting = track(admission.acquire('default', signal.signal));
    expect(clock.pendingTimers).toBe(1);
    signal.abort('client closed');
    await Promise.resolve();
    expect(waiting.error).toBe('client closed');
    expect(admission.snapshot()).toMatchObject({ queued: 0, shed: 0 });
    expect(clock.pendingTimers).toBe(0);
    const already = new AbortController();
    already.abort('before');
    await expect(admission.acquire('default', already.signal)).rejects.toBe('before');
  });

  describe('CoDel-style queue', () => {
    it('lets a burst wait up to queueInterval while the queue has been empty recently', async () => {
      const { clock, admission } = controller(1, { queueTarget: 5, queueInterval: 100 });
      const holder = admission.tryAcquire()!;
      const waiting = track(admission.acquire());
      await clock.tickAsync(60);
      expect(waiting.settled).toBe(false);
      holder();
      await clock.tickAsync(0);
      expect(waiting.release).toBeDefined();
    });

    it('sheds a request that waited queueInterval, as queue-timeout', async () => {
      const { clock, admission } = controller(1, { queueTarget: 5, queueInterval: 100 });
      admission.tryAcquire();
      const waiting = track(admission.acquire());
      await clock.tickAsync(99);
      expect(waiting.settled).toBe(false);
      await clock.tickAsync(1);
      expect((waiting.error as LoadShedError).reason).toBe('queue-timeout');
      expect(admission.snapshot()).toMatchObject({ queued: 0, shed: 1 });
      expect(clock.pendingTimers).toBe(0);
    });

    it('once the queue has stood for queueInterval, sheds oldest-first whoever waited past queueTarget, and serves the fresh ones', async () => {
      const { clock, admission } = controller(1, { queueTarget: 5, queueInterval: 100, maxQueue: 10 });
      const holder = admission.tryAcquire()!;
      const old = track(admission.acquire());
      await clock.tickAsync(97);
      const fresh = track(admission.acquire());
      await clock.tickAsync(3);
      // The queue has stood 100 ms: the old waiter (100 ms) goes; the fresh one (3 ms) is within target.
      expect((old.error as LoadShedError).reason).toBe('queue-timeout');
      expect(fresh.settled).toBe(false);
      // Still standing: the fresh one may wait queueTarget only.
      await clock.tickAsync(2);
      expect((fresh.error as LoadShedError).reason).toBe('queue-timeout');
      const late = track(admission.acquire());
      await clock.tickAsync(1);
      holder();
      await clock.tickAsync(0);
      expect(late.release).toBeDefined();
      expect(admission.snapshot()).toEqual({ limit: 1, inFlight: 1, queued: 0, shed: 2 });
      expect(clock.pendingTimers).toBe(0);
    });

    it('after a jump of time, sheds the expired waiter and serves the one behind it', async () => {
      const { clock, admission } = controller(1, { queueTarget: 5, queueInterval: 100, maxQueue: 10 });
      const holder = admission.tryAcquire()!;
      const shed: string[] = [];
      admission.onShed((event) => shed.push(`${event.priority}:${event.reason}`));
      const old = track(admission.acquire());
      clock.advance(150);
      const fresh = track(admission.acquire());
      holder();
      await clock.tickAsync(0);
      expect((old.error as LoadShedError).reason).toBe('queue-timeout');
      expect(fresh.release).toBeDefined();
      expect(shed).toEqual(['default:queue-timeout']);
    });
  });

  it('validates its options naming the field', () => {
    const message = (options: unknown): string => {
      try {
        new AdmissionController(options as AdmissionControllerPolicyOptions);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionsError);
        return (error as Error).message;
      }
      throw new Error('expected an InvalidOptionsError');
    };
    expect(message({ queueTarget: 200 })).toBe('loadShedding.queueTarget must be at most queueInterval (100) (got 200)');
    expect(message({ sheddableShare: 0 })).toBe('loadShedding.sheddableShare must be a number greater than 0 and at most 1 (got 0)');
    expect(message({ limit: { minLimit: -1 } })).toBe('loadShedding.limit.minLimit must be a positive integer (got -1)');
    expect(message({ maxQueue: 1.5 })).toBe('loadShedding.maxQueue must be a non-negative integer (got 1.5)');
    expect(message({ retryAfterMs: 0 })).toBe('loadShedding.retryAfterMs must be a positive number (got 0)');
    expect(message({ queueInterval: Number.NaN, validationPath: 'app.loadShedding' })).toBe('app.loadShedding.queueInterval must be a positive number (got NaN)');
    expect(message({ maxQueu: 3 })).toBe(
      'loadShedding.maxQueu is not a known option (known: limit, maxQueue, queueTarget, queueInterval, sheddableShare, retryAfterMs) (got 3)',
    );
  });
});
