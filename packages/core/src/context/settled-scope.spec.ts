import { describe, expect, it } from '@jest/globals';
import { EventEmitter as NodeEmitter } from 'node:events';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock } from '../clock/fake-clock.js';
import { composePolicies } from '../composition/compose-policies.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { currentScope, currentSignal } from './current-signal.js';

const never = (): Promise<never> => new Promise<never>(() => {});
const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `work` from a timer, an event listener and setImmediate scheduled inside a call that then settles at once. */
function scheduledInside<T>(call: (operation: () => Promise<number>) => Promise<number>, work: () => T): Promise<T[]> {
  const emitter = new NodeEmitter();
  // Boxed, so that a promise returned by `work` is handed back, not awaited here.
  const results: Promise<[T]>[] = [];
  let done: () => void;
  const scheduled = new Promise<void>((resolve) => (done = resolve));
  const finished = call(async () => {
    let left = 3;
    const run = (resolve: (value: [T]) => void) => () => {
      resolve([work()]);
      if (--left === 0) done();
    };
    results.push(new Promise<[T]>((resolve) => setTimeout(run(resolve), 1)));
    results.push(new Promise<[T]>((resolve) => setImmediate(run(resolve))));
    results.push(new Promise<[T]>((resolve) => emitter.once('later', run(resolve))));
    return 1;
  });
  return finished.then(async () => {
    emitter.emit('later');
    await scheduled;
    return (await Promise.all(results)).map(([value]) => value);
  });
}

describe.each([
  ['a lone timeout', (clock: FakeClock) => new TimeoutPolicy({ duration: 50, clock })],
  ['a composition with a timeout', (clock: FakeClock) => composePolicies(new RetryPolicy({ clock }), new TimeoutPolicy({ duration: 50, clock }))],
  ['a composition without a timeout', (clock: FakeClock) => composePolicies(new RetryPolicy({ clock }), new CircuitBreakerPolicy({ clock }))],
  ['a call with a caller signal', (clock: FakeClock) => new TimeoutPolicy({ duration: 50, clock }), true],
])('work scheduled inside a settled call (%s)', (_label, build, withSignal = false) => {
  const start = (clock: FakeClock) => {
    const policy = build(clock);
    const controller = new AbortController();
    return (operation: () => Promise<number>) => (withSignal ? policy.execute(operation, controller.signal) : policy.execute(operation));
  };

  it('runs as at the root: no current scope or signal', async () => {
    const clock = new FakeClock();
    const seen = await scheduledInside(start(clock), () => [currentScope(), currentSignal()]);
    expect(seen).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });

  it('starts a timeout that fires on its own deadline, not one inherited from the finished call', async () => {
    const clock = new FakeClock();
    const inner = new TimeoutPolicy({ name: 'inner', duration: 100, clock });
    const calls = await scheduledInside(start(clock), () => inner.execute(never).catch((error: unknown) => error));
    await clock.tickAsync(99);
    expect(inner.pendingCount).toBe(3);
    await clock.tickAsync(1);
    for (const outcome of await Promise.all(calls)) {
      expect(outcome).toBeInstanceOf(TimeoutError);
      expect((outcome as TimeoutError).message).toContain('inner');
    }
  });

  it('starts a retry that makes all its attempts, though the finished call\'s deadline has passed', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ maxRetries: 3, baseDelay: 10, jitter: 'none', clock });
    let attempts = 0;
    const failing = (): Promise<never> => {
      attempts++;
      return Promise.reject(new Error('down'));
    };
    const calls = await scheduledInside(start(clock), () => {
      clock.advance(60); // past the finished call's 50 ms deadline
      return retry.execute(failing).catch((error: unknown) => error);
    });
    await clock.runAllAsync();
    await immediate();
    for (const outcome of await Promise.all(calls)) expect(outcome).toMatchObject({ message: 'down' });
    expect(attempts).toBe(12);
  });
});

describe('a call scheduled inside a call that is still running', () => {
  it('inherits the running call, whatever settled in between', async () => {
    const clock = new FakeClock();
    const outer = new TimeoutPolicy({ name: 'outer', duration: 1_000, clock });
    const inner = new TimeoutPolicy({ name: 'inner', duration: 10, clock });
    let outerScope: unknown;
    let seen: unknown;
    const call = outer.execute(async () => {
      outerScope = currentScope();
      await inner.execute(async () => {
        setTimeout(() => (seen = currentScope()), 1); // runs after `inner` settled, while `outer` runs
        return 1;
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 2;
    });
    expect(await call).toBe(2);
    expect(seen).toBe(outerScope);
  });
});
