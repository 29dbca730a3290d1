import { describe, expect, it } from '@jest/globals';
import { systemClock, type Clock } from '../clock/clock.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { currentSignal } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { DEFAULT_TIMEOUT_PROFILES, validateTimeoutOptions } from './timeout.options.js';
import { TimeoutPolicy } from './timeout.policy.js';

function settleState<T>(promise: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const box: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(box, { state: 'resolved', value }),
    (error: unknown) => Object.assign(box, { state: 'rejected', error }),
  );
  return box;
}

const never = (): Promise<never> => new Promise<never>(() => undefined);

describe('TimeoutPolicy', () => {
  it('has the article profiles as built-in defaults', () => {
    expect(DEFAULT_TIMEOUT_PROFILES).toEqual({ database: 5_000, internal: 3_000, external: 10_000, health: 1_000 });
  });

  it('validates the duration, naming the field', () => {
    expect(() => validateTimeoutOptions({ duration: 0 }, 'timeouts.database')).toThrow(
      'timeouts.database.duration must be a positive number (got 0)',
    );
    expect(() => validateTimeoutOptions(Number.NaN, 'timeouts.database')).toThrow('timeouts.database must be a positive number (got NaN)');
    expect(() => validateTimeoutOptions({ duration: 5, extra: 1 }, 'timeouts.x')).toThrow(InvalidOptionsError);
    expect(() => new TimeoutPolicy({ duration: -1, name: 'db' })).toThrow('timeout "db".duration must be a positive number (got -1)');
  });

  it('resolves with the value when the call beats the deadline, leaving no referenced timer', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 100, clock });
    await expect(policy.execute(async () => 42)).resolves.toBe(42);
    expect(clock.refedTimers).toBe(0);
    expect(policy.pendingCount).toBe(0);
  });

  it('rejects with TimeoutError at the deadline even if the callee ignores the signal', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 100, clock, name: 'db' });
    const result = settleState(policy.execute(never));
    await clock.tickAsync(99);
    expect(result.state).toBe('pending');
    await clock.tickAsync(1);
    expect(result.state).toBe('rejected');
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(result.error).toMatchObject({ policyName: 'db', duration: 100, name: 'TimeoutError' });
    expect(policy.timeoutCount).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts the signal the callee received and currentSignal(), with the TimeoutError as reason', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 50, clock });
    let fromContext: AbortSignal | undefined;
    let fromAls: AbortSignal | undefined;
    const result = settleState(
      policy.execute((context) => {
        fromContext = context.signal;
        fromAls = currentSignal();
        return never();
      }),
    );
    expect(fromContext).toBe(fromAls);
    expect(fromContext!.aborted).toBe(false);
    await clock.tickAsync(50);
    expect(fromContext!.aborted).toBe(true);
    expect(fromContext!.reason).toBe(result.error);
  });

  it('keeps currentSignal() across awaits inside the call and clears it outside', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 50, clock });
    const seen = await policy.execute(async (context) => {
      await Promise.resolve();
      await flushMicrotasks();
      return currentSignal() === context.signal;
    });
    expect(seen).toBe(true);
    expect(currentSignal()).toBeUndefined();
  });

  it('absorbs a rejection that arrives after the timeout (no unhandled rejection, one outcome)', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 10, clock });
    let rejectLate!: (error: unknown) => void;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const result = settleState(policy.execute(() => new Promise((_, reject) => (rejectLate = reject))));
      await clock.tickAsync(10);
      rejectLate(new Error('late'));
      await flushMicrotasks();
      expect(result.error).toBeInstanceOf(TimeoutError);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('turns synchronous throws and non-Error values into rejections with the original value', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 10, clock });
    await expect(
      policy.execute(() => {
        throw 'plain string';
      }),
    ).rejects.toBe('plain string');
    await expect(policy.execute(() => Promise.reject(undefined))).rejects.toBeUndefined();
    expect(clock.refedTimers).toBe(0);
  });

  it('serves many overlapping calls with one shared timer and expires each at its own deadline', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 100, clock });
    const first = settleState(policy.execute(never));
    await clock.tickAsync(30);
    const second = settleState(policy.execute(never));
    const fast = settleState(policy.execute(async () => 'ok'));
    await flushMicrotasks();
    expect(clock.pendingTimers).toBe(1);
    await clock.tickAsync(70);
    expect(first.state).toBe('rejected');
    expect(second.state).toBe('pending');
    expect(fast.value).toBe('ok');
    await clock.tickAsync(30);
    expect(second.state).toBe('rejected');
    expect(clock.pendingTimers).toBe(0);
  });

  it('inherits an earlier outer deadline: the inner call ends with the outer TimeoutError', async () => {
    const clock = new FakeClock();
    const outer = new TimeoutPolicy({ duration: 100, clock, name: 'outer' });
    const inner = new TimeoutPolicy({ duration: 1_000, clock, name: 'inner' });
    let innerSignal: AbortSignal | undefined;
    let innerResult: ReturnType<typeof settleState> | undefined;
    let startInner!: () => void;
    const gate = new Promise<void>((resolve) => (startInner = resolve));
    const outerResult = settleState(
      outer.execute(async () => {
        await gate;
        innerResult = settleState(
          inner.execute((context) => {
            innerSignal = context.signal;
            return never();
          }),
        );
        return never();
      }),
    );
    await clock.tickAsync(40);
    startInner();
    await flushMicrotasks();
    expect(innerResult!.state).toBe('pending');
    await clock.tickAsync(59);
    expect(innerResult!.state).toBe('pending');
    await clock.tickAsync(1);
    expect(outerResult.error).toMatchObject({ policyName: 'outer' });
    expect(innerResult!.state).toBe('rejected');
    expect(innerResult!.error).toMatchObject({ policyName: 'outer', duration: 100 });
    expect(innerSignal!.aborted).toBe(true);
    expect(inner.timeoutCount).toBe(0);
    expect(clock.refedTimers).toBe(0);
  });

  it('an inner timeout shorter than the outer fires on its own', async () => {
    const clock = new FakeClock();
    const outer = new TimeoutPolicy({ duration: 1_000, clock, name: 'outer' });
    const inner = new TimeoutPolicy({ duration: 10, clock, name: 'inner' });
    const result = settleState(outer.execute(() => inner.execute(never)));
    await clock.tickAsync(10);
    expect(result.error).toMatchObject({ policyName: 'inner' });
    expect(clock.refedTimers).toBe(0);
  });

  it('follows a caller signal: aborting it rejects at once with its reason', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 1_000, clock });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const result = settleState(
      policy.execute((context) => {
        seen = context.signal;
        return never();
      }, controller.signal),
    );
    await flushMicrotasks();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await flushMicrotasks();
    expect(result.error).toBe(reason);
    expect(seen!.aborted).toBe(true);
  });

  it('rejects at once when the caller signal is already aborted, without calling', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 1_000, clock });
    let called = false;
    const reason = new Error('already');
    await expect(
      policy.execute(() => {
        called = true;
      }, AbortSignal.abort(reason)),
    ).rejects.toBe(reason);
    expect(called).toBe(false);
  });

  it('10,000 concurrent calls: all correct, then no referenced timer and no pending entry', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 100, clock });
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      policy.execute(async () => {
        await Promise.resolve();
        if (i % 3 === 0) throw new Error(String(i));
        return i;
      }),
    );
    const results = await Promise.allSettled(calls);
    results.forEach((result, i) => {
      if (i % 3 === 0) expect(result).toMatchObject({ status: 'rejected', reason: { message: String(i) } });
      else expect(result).toEqual({ status: 'fulfilled', value: i });
    });
    expect(policy.pendingCount).toBe(0);
    expect(clock.refedTimers).toBe(0);
  });

  it('on real timers, leaves no referenced timer behind after success, failure and expiry', async () => {
    const live = new Set<NodeJS.Timeout>();
    const realClock: Clock = {
      now: Date.now,
      setTimeout(callback, ms) {
        const timer = setTimeout(() => {
          live.delete(timer);
          callback();
        }, ms);
        live.add(timer);
        return timer;
      },
      clearTimeout(handle) {
        live.delete(handle as NodeJS.Timeout);
        clearTimeout(handle as NodeJS.Timeout);
      },
    };
    const policy = new TimeoutPolicy({ duration: 5, clock: realClock });
    await policy.execute(async () => 1);
    await expect(policy.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect([...live].filter((timer) => timer.hasRef())).toHaveLength(0);
    await expect(policy.execute(never)).rejects.toBeInstanceOf(TimeoutError);
    expect([...live].filter((timer) => timer.hasRef())).toHaveLength(0);
  });

  it('on the system clock, keeps its shared timer ref\'d exactly while a call is pending, with no process hook', async () => {
    // Timers of each policy not yet fired nor cleared.
    const live = new Map<NodeJS.Timeout, string>();
    const clockFor = (policy: string): Clock => ({
      now: () => systemClock.now(),
      setTimeout(callback, ms) {
        const timer: NodeJS.Timeout = systemClock.setTimeout(() => {
          live.delete(timer);
          callback();
        }, ms) as NodeJS.Timeout;
        live.set(timer, policy);
        return timer;
      },
      clearTimeout(handle) {
        live.delete(handle as NodeJS.Timeout);
        systemClock.clearTimeout(handle);
      },
    });
    const refed = (): string[] => [...live].filter(([timer]) => timer.hasRef()).map(([, policy]) => policy);
    const beforeExit = process.listenerCount('beforeExit');
    const first = new TimeoutPolicy({ duration: 5, clock: clockFor('first') });
    const second = new TimeoutPolicy({ duration: 10, clock: clockFor('second') });
    const pending = first.execute(never);
    await second.execute(async () => 1);
    // A pending call keeps the process alive as a timer of its own would (a test runner's own
    // 'beforeExit' must not be what stands between it and an early exit); a finished one does not.
    expect(refed()).toEqual(['first']);
    expect([...live.values()].sort()).toEqual(['first', 'second']);
    expect(process.listenerCount('beforeExit')).toBe(beforeExit);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    expect(refed()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(live.size).toBe(0);
  });

  it('does not keep a scope listener on a long-lived caller signal after the call', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 100, clock });
    const controller = new AbortController();
    const parent = ExecutionScope.fromSignal(controller.signal);
    const listeners = (): number => ((parent as unknown as { listeners?: unknown[] }).listeners ?? []).length;
    for (let i = 0; i < 100; i++) await policy.run(async () => i, parent);
    expect(listeners()).toBe(0);
    parent.dispose();
  });
});

describe('TimeoutPolicy captureContext', () => {
  it('hands each timed-out call the context captured when it started, not the one that armed the timer', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 100, clock });
    let current = 'first';
    policy.captureContext = () => current;
    const seen: unknown[] = [];
    policy.onTimeout((event) => seen.push(event.context));
    const first = policy.execute(never).catch(() => undefined);
    await clock.tickAsync(10);
    current = 'second';
    const second = policy.execute(never).catch(() => undefined);
    await clock.tickAsync(100);
    await Promise.all([first, second]);
    expect(seen).toEqual(['first', 'second']);
  });

  it('captures nothing while unset', async () => {
    const clock = new FakeClock();
    const policy = new TimeoutPolicy({ duration: 10, clock });
    const seen: object[] = [];
    policy.onTimeout((event) => seen.push(event));
    const call = policy.execute(never).catch(() => undefined);
    await clock.tickAsync(10);
    await call;
    expect(seen).toEqual([{ name: 'timeout', duration: 10, at: 10 }]);
  });
});
