import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { currentScope } from '../context/current-signal.js';
import { ExecutionScope, type ExecutionContext } from '../context/execution-scope.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { ResilienceError } from '../errors/resilience.error.js';
import { BulkheadPolicy } from './bulkhead.policy.js';
import { deferred, type Deferred } from '../testing/deferred.js';

/** Records when a promise settles, without leaving a rejection unhandled. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown; rejected: boolean } {
  const state: { settled: boolean; value?: T; error?: unknown; rejected: boolean } = { settled: false, rejected: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.rejected = true;
      state.error = error;
    },
  );
  return state;
}

function stackFrames(error: Error): string[] {
  return (error.stack ?? '').split('\n').filter((line) => line.trim().startsWith('at '));
}

describe('BulkheadPolicy', () => {
  describe('defaults', () => {
    it('allows 10 concurrent calls and no queue', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ clock });
      expect(bulkhead.kind).toBe('bulkhead');
      expect(bulkhead.name).toBe('bulkhead');
      expect(bulkhead.maxConcurrent).toBe(10);
      expect(bulkhead.maxQueue).toBe(0);
      const gate = deferred();
      const calls = Array.from({ length: 10 }, () => track(bulkhead.execute(() => gate.promise)));
      expect(bulkhead.running).toBe(10);
      expect(bulkhead.available).toBe(0);
      const eleventh = track(bulkhead.execute(() => 'never'));
      await clock.tickAsync(0);
      expect(eleventh.error).toBeInstanceOf(BulkheadFullError);
      expect(bulkhead.queued).toBe(0);
      gate.resolve('done');
      await clock.tickAsync(0);
      expect(calls.map((c) => c.value)).toEqual(Array(10).fill('done'));
      expect(bulkhead.running).toBe(0);
      expect(bulkhead.available).toBe(10);
    });

    it('takes no options at all', () => {
      const bulkhead = new BulkheadPolicy();
      expect([bulkhead.maxConcurrent, bulkhead.maxQueue, bulkhead.running, bulkhead.queued, bulkhead.rejectedCount]).toEqual([10, 0, 0, 0, 0]);
    });
  });

  describe('running', () => {
    it('runs at once when a slot is free, passes the value and the scope through', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 2, clock });
      const scope = ExecutionScope.cancellable();
      const op = jest.fn((context: ExecutionContext) => (context === scope ? 42 : -1));
      const result = bulkhead.run(op, scope);
      expect(op).toHaveBeenCalledTimes(1);
      expect(bulkhead.running).toBe(1);
      await expect(result).resolves.toBe(42);
      expect(bulkhead.running).toBe(0);
    });

    it('starts queued callers in FIFO order as slots free up', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 3, clock });
      const started: string[] = [];
      const gates = new Map<string, Deferred<string>>();
      const call = (id: string) =>
        track(
          bulkhead.execute(() => {
            started.push(id);
            const gate = deferred<string>();
            gates.set(id, gate);
            return gate.promise;
          }),
        );
      const results = ['a', 'b', 'c', 'd'].map(call);
      expect(started).toEqual(['a']);
      expect([bulkhead.running, bulkhead.queued]).toEqual([1, 3]);
      for (const [index, id] of ['a', 'b', 'c'].entries()) {
        gates.get(id)!.resolve(id.toUpperCase());
        await clock.tickAsync(0);
        expect(started).toEqual(['a', 'b', 'c', 'd'].slice(0, index + 2));
        expect(bulkhead.queued).toBe(2 - index);
        expect(bulkhead.running).toBe(1);
      }
      gates.get('d')!.resolve('D');
      await clock.tickAsync(0);
      expect(results.map((r) => r.value)).toEqual(['A', 'B', 'C', 'D']);
      expect([bulkhead.running, bulkhead.queued, bulkhead.available]).toEqual([0, 0, 1]);
    });

    it('runs a queued operation in its own caller context, not the releasing call\'s', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1, clock });
      const gate = deferred();
      const seen: Array<[unknown, unknown]> = [];
      const first = bulkhead.execute((context) => {
        seen.push([currentScope(), context]);
        return gate.promise;
      }, new AbortController().signal);
      const second = bulkhead.execute((context) => {
        seen.push([currentScope(), context]);
        return 'second';
      }, new AbortController().signal);
      gate.resolve('first');
      await expect(first).resolves.toBe('first');
      await expect(second).resolves.toBe('second');
      expect(seen).toHaveLength(2);
      expect(seen[0]![0]).toBe(seen[0]![1]);
      expect(seen[1]![0]).toBe(seen[1]![1]);
      expect(seen[1]![1]).not.toBe(seen[0]![1]);
    });
  });

  describe('queue abort', () => {
    it('removes an aborted waiter at once with the scope reason, and the next waiter still gets the slot', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 2, clock });
      const gate = deferred();
      const running = track(bulkhead.run(() => gate.promise, ExecutionScope.root));
      const abortedScope = ExecutionScope.cancellable();
      const abortedOp = jest.fn(() => 'b');
      const aborted = track(bulkhead.run(abortedOp, abortedScope));
      const nextScope = ExecutionScope.cancellable();
      const subscribe = nextScope.onAbort.bind(nextScope);
      let unsubscribed = 0;
      jest.spyOn(nextScope, 'onAbort').mockImplementation((listener) => {
        const unsubscribe = subscribe(listener);
        return () => {
          unsubscribed++;
          unsubscribe();
        };
      });
      const nextGate = deferred<string>();
      const nextOp = jest.fn(() => nextGate.promise);
      const next = track(bulkhead.run(nextOp, nextScope));
      expect(bulkhead.queued).toBe(2);

      const reason = new Error('caller gave up');
      abortedScope.abort(reason);
      expect(bulkhead.queued).toBe(1);
      await clock.tickAsync(0);
      expect(aborted.error).toBe(reason);
      expect(running.settled).toBe(false);

      gate.resolve('a');
      await clock.tickAsync(0);
      expect(abortedOp).not.toHaveBeenCalled();
      expect(nextOp).toHaveBeenCalledTimes(1);
      expect([bulkhead.running, bulkhead.queued]).toEqual([1, 0]);
      expect(unsubscribed).toBe(1);

      // Dequeued: its abort listener is gone, so a late abort no longer rejects it from the queue.
      nextScope.abort(new Error('late'));
      nextGate.resolve('c');
      await clock.tickAsync(0);
      expect(next.value).toBe('c');
      expect(bulkhead.running).toBe(0);
      expect(bulkhead.rejectedCount).toBe(0);
    });

    it('leaves the queue when the caller signal passed to execute aborts', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1, clock });
      const gate = deferred();
      void bulkhead.execute(() => gate.promise);
      const controller = new AbortController();
      const waiting = bulkhead.execute(() => 'never', controller.signal);
      controller.abort('stop');
      await expect(waiting).rejects.toBe('stop');
      expect(bulkhead.queued).toBe(0);
      gate.resolve(undefined);
    });

    it('rejects an already aborted call without running it or taking a slot', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, clock });
      const scope = ExecutionScope.cancellable();
      const reason = new Error('already');
      scope.abort(reason);
      const op = jest.fn(() => 1);
      await expect(bulkhead.run(op, scope)).rejects.toBe(reason);
      expect(op).not.toHaveBeenCalled();
      expect([bulkhead.running, bulkhead.rejectedCount]).toEqual([0, 0]);
    });
  });

  describe('slot release', () => {
    const sentinel = new Error('sentinel');
    const failures: Array<[string, () => unknown, unknown]> = [
      ['a synchronous throw', () => { throw sentinel; }, sentinel],
      ['a rejection', () => Promise.reject(sentinel), sentinel],
      ['a thrown string', () => { throw 'boom'; }, 'boom'],
      ['a thrown undefined', () => { throw undefined; }, undefined],
      ['a rejected null', () => Promise.reject(null), null],
      ['a rejecting thenable', () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(7) }), 7],
    ];

    it.each(failures)('releases the slot exactly once after %s and starts the next caller', async (_label, op, thrown) => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueue: 1, clock });
      const failing = track(bulkhead.execute(op));
      const nextGate = deferred<string>();
      const next = track(bulkhead.execute(() => nextGate.promise));
      await clock.tickAsync(0);
      expect(failing.rejected).toBe(true);
      expect(failing.error).toBe(thrown);
      expect([bulkhead.running, bulkhead.queued]).toEqual([1, 0]);
      nextGate.resolve('ok');
      await clock.tickAsync(0);
      expect(next.value).toBe('ok');
      expect([bulkhead.running, bulkhead.available]).toEqual([0, 1]);
    });

    it('never lets a failing callee push counters below zero', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 2, maxQueue: 2, clock });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => bulkhead.execute(() => { if (i % 2) throw i; return Promise.reject(i); })),
      );
      expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : 'ok'))).toEqual([0, 1, 2, 3]);
      expect([bulkhead.running, bulkhead.queued, bulkhead.available]).toEqual([0, 0, 2]);
    });

    it('keeps the slot while the operation never settles', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, clock });
      void bulkhead.execute(() => new Promise(() => {}));
      await clock.tickAsync(60_000);
      expect(bulkhead.running).toBe(1);
      await expect(bulkhead.execute(() => 1)).rejects.toBeInstanceOf(BulkheadFullError);
    });
  });

  describe('when full', () => {
    it('rejects with a stackless BulkheadFullError, counts it and emits onRejected', async () => {
      const clock = new FakeClock();
      const bulkhead = new BulkheadPolicy({ name: 'reports', maxConcurrent: 1, maxQueue: 1, clock });
      const events: unknown[] = [];
      const subscription = bulkhead.onRejected((event) => events.push(event));
      const gate = deferred();
      void bulkhead.execute(() => gate.promise);
      void bulkhead.execute(() => gate.promise);
      const op = jest.fn(() => 1);
      const error = await bulkhead.execute(op).catch((e: unknown) => e);

      expect(op).not.toHaveBeenCalled();
      expect(error).toBeInstanceOf(BulkheadFullError);
      expect(error).toBeInstanceOf(ResilienceError);
      const full = error as BulkheadFullError;
      expect(full.policyName).toBe('reports');
      expect(full.maxConcurrent).toBe(1);
      expect(full.maxQueue).toBe(1);
      expect(full.message).toBe('Bulkhead "reports" is full (1 running, 1 queued)');
      expect(stackFrames(full)).toEqual([]);
      expect(bulkhead.rejectedCount).toBe(1);
      expect(events).toEqual([{ name: 'reports' }]);

      subscription.dispose();
      await expect(bulkhead.execute(op)).rejects.toBeInstanceOf(BulkheadFullError);
      expect(bulkhead.rejectedCount).toBe(2);
      expect(events).toHaveLength(1);
      expect([bulkhead.running, bulkhead.queued]).toEqual([1, 1]);
      gate.resolve(undefined);
      await clock.tickAsync(0);
      expect([bulkhead.running, bulkhead.queued]).toEqual([0, 0]);
    });

    it('leaves Error.stackTraceLimit as it was', async () => {
      const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, clock: new FakeClock() });
      const limit = Error.stackTraceLimit;
      void bulkhead.execute(() => new Promise(() => {}));
      await bulkhead.execute(() => 1).catch(() => undefined);
      expect(Error.stackTraceLimit).toBe(limit);
    });
  });

  it('keeps its invariants and FIFO order under any interleaving of calls, settlements and aborts', async () => {
    type Command = { type: 'call' } | { type: 'settle'; index: number; ok: boolean } | { type: 'abort'; index: number };
    const command = fc.oneof(
      fc.constant<Command>({ type: 'call' }),
      fc.record({ type: fc.constant('settle' as const), index: fc.nat(20), ok: fc.boolean() }),
      fc.record({ type: fc.constant('abort' as const), index: fc.nat(20) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.array(command, { maxLength: 25 }), async (maxConcurrent, maxQueue, commands) => {
        const clock = new FakeClock();
        const bulkhead = new BulkheadPolicy({ maxConcurrent, maxQueue, clock });
        const started: number[] = [];
        const gates = new Map<number, Deferred<number>>();
        const scopes: ExecutionScope[] = [];
        const outcomes: Array<ReturnType<typeof track<number>>> = [];
        const expectedQueue: number[] = [];
        let expectedRunning = 0;
        let expectedRejected = 0;
        for (const cmd of commands) {
          if (cmd.type === 'call') {
            const id = scopes.length;
            const scope = ExecutionScope.cancellable();
            scopes.push(scope);
            if (expectedRunning < maxConcurrent) expectedRunning++;
            else if (expectedQueue.length < maxQueue) expectedQueue.push(id);
            else expectedRejected++;
            outcomes.push(
              track(
                bulkhead.run(() => {
                  started.push(id);
                  const gate = deferred<number>();
                  gates.set(id, gate);
                  return gate.promise;
                }, scope),
              ),
            );
          } else if (cmd.type === 'settle') {
            const running = [...gates.keys()];
            if (running.length === 0) continue;
            const id = running[cmd.index % running.length]!;
            const gate = gates.get(id)!;
            gates.delete(id);
            if (cmd.ok) gate.resolve(id);
            else gate.reject(id);
            expectedRunning--;
            const next = expectedQueue.shift();
            if (next !== undefined) expectedRunning++;
          } else {
            if (scopes.length === 0) continue;
            const id = cmd.index % scopes.length;
            scopes[id]!.abort('aborted');
            const position = expectedQueue.indexOf(id);
            if (position >= 0) expectedQueue.splice(position, 1);
          }
          await clock.tickAsync(0);
          expect(bulkhead.running).toBe(expectedRunning);
          expect(bulkhead.queued).toBe(expectedQueue.length);
          expect(bulkhead.available).toBe(maxConcurrent - expectedRunning);
          expect(bulkhead.rejectedCount).toBe(expectedRejected);
          expect(bulkhead.running).toBeLessThanOrEqual(maxConcurrent);
          expect(bulkhead.queued).toBeLessThanOrEqual(maxQueue);
        }
        // Calls start in arrival order: the started ids are strictly increasing.
        expect(started).toEqual([...started].sort((a, b) => a - b));
        for (const id of started) {
          if (!gates.has(id)) expect(outcomes[id]!.settled).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
