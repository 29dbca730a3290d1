import type { Clock, TimerHandle } from './clock.js';

class FakeTimer implements TimerHandle {
  refed = true;
  cleared = false;
  constructor(
    readonly id: number,
    readonly at: number,
    readonly callback: () => void,
  ) {}
  ref(): this {
    this.refed = true;
    return this;
  }
  unref(): this {
    this.refed = false;
    return this;
  }
}

/**
 * A manual clock for tests: time moves only when told to. `advance` runs due timers in order;
 * `tickAsync` also lets promise callbacks run between timers, which is what async policies need.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = new FakeTimer(this.nextId++, this.current + delay, callback);
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as FakeTimer;
    timer.cleared = true;
    const index = this.timers.indexOf(timer);
    if (index >= 0) this.timers.splice(index, 1);
  }

  /** Timers still scheduled (referenced or not). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Timers still scheduled that would keep a Node process alive. */
  get refedTimers(): number {
    return this.timers.filter((t) => t.refed).length;
  }

  /** Moves time forward synchronously, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const timer = this.nextDue(target);
      if (!timer) break;
      this.current = Math.max(this.current, timer.at);
      this.fire(timer);
    }
    this.current = target;
  }

  /**
   * Moves time forward, letting pending promise callbacks run before and after every timer, so
   * code that awaits between timers (retry loops, breakers) progresses as it would in real time.
   */
  async tickAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushMicrotasks();
    for (;;) {
      const timer = this.nextDue(target);
      if (!timer) break;
      this.current = Math.max(this.current, timer.at);
      this.fire(timer);
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Runs timers (and promise callbacks) until none is left, up to `limit` ms ahead. */
  async runAllAsync(limit = 3_600_000): Promise<void> {
    await this.tickAsync(0);
    const end = this.current + limit;
    while (this.timers.length > 0) {
      const next = this.timers.reduce((a, b) => (b.at < a.at ? b : a));
      if (next.at > end) break;
      await this.tickAsync(Math.max(0, next.at - this.current));
    }
  }

  /**
   * Moves time forward, timer by timer, until `promise` settles, then returns its outcome (its
   * value, or its rejection). What a test awaiting a call that waits on this clock needs (a retry's
   * backoff, a timeout): `await clock.settle(service.price('sku'))` instead of an `await` that
   * would wait forever for time that never moves. Time moves only while the promise is still
   * pending once promise callbacks and one event-loop turn have run; with no timer due, it waits
   * for the promise itself (real I/O). Fails when the promise is still pending `limit` ms (of this
   * clock) ahead. For calls made in-process; a request in flight over a socket may not have
   * reached its next timer when time moves, so advance time for those with `tickAsync` once the
   * call waits.
   */
  async settle<T>(promise: PromiseLike<T>, limit = 3_600_000): Promise<T> {
    let settled = false;
    const done = Promise.resolve(promise).then(
      () => void (settled = true),
      () => void (settled = true),
    );
    const end = this.current + limit;
    for (;;) {
      await flushMicrotasks();
      if (settled) return promise;
      const next = this.nextDue(Infinity);
      if (next === undefined) {
        await Promise.race([done, new Promise<void>((resolve) => setImmediate(resolve))]);
        continue;
      }
      if (next.at > end) throw new Error(`FakeClock.settle: the promise is still pending ${limit} ms ahead (next timer at +${next.at - this.current} ms)`);
      this.current = Math.max(this.current, next.at);
      this.fire(next);
    }
  }

  private nextDue(target: number): FakeTimer | undefined {
    let due: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (timer.at <= target && (!due || timer.at < due.at || (timer.at === due.at && timer.id < due.id))) due = timer;
    }
    return due;
  }

  private fire(timer: FakeTimer): void {
    this.timers.splice(this.timers.indexOf(timer), 1);
    timer.callback();
  }
}

/** Drains the microtask queue a few times over, then lets one macrotask turn pass. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
