import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { ExecutionScope } from './execution-scope.js';
import { ScopeStorage } from './scope-storage.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function expectAll(seen: readonly unknown[], count: number, scope: ExecutionScope | undefined): void {
  expect(seen).toHaveLength(count);
  for (const one of seen) expect(one).toBe(scope);
}

describe.each([
  ['direct', true],
  ['by run', false],
])('ScopeStorage (%s)', (_label, direct) => {
  it('makes the scope current in the operation, across awaits and in what it schedules, and only there', async () => {
    const storage = new ScopeStorage(direct);
    const scope = ExecutionScope.cancellable();
    // The first call turns the storage on (by `run`), later ones take the direct way in.
    for (let call = 0; call < 3; call++) {
      const seen: unknown[] = [];
      const result = storage.invoke(async (context) => {
        seen.push(storage.current(), context);
        await Promise.resolve();
        seen.push(storage.current());
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(storage.current());
        seen.push(await new Promise((resolve) => setImmediate(() => resolve(storage.current()))));
        return call;
      }, scope);
      expect(storage.current()).toBeUndefined();
      const outside = result.then(() => storage.current());
      expect(await result).toBe(call);
      expect(await outside).toBeUndefined();
      expectAll(seen, 5, scope);
    }
  });

  it('gives nested calls the innermost scope and restores each caller its own', async () => {
    const storage = new ScopeStorage(direct);
    const outer = ExecutionScope.cancellable();
    const inner = outer.child(Date.now() + 60_000);
    for (let call = 0; call < 3; call++) {
      const seen: unknown[] = [];
      await storage.invoke(async () => {
        seen.push(storage.current());
        const nested = storage.invoke(async () => {
          await tick();
          return storage.current();
        }, inner);
        seen.push(storage.current());
        expect(await nested).toBe(inner);
        seen.push(storage.current());
      }, outer);
      expectAll(seen, 3, outer);
      expect(storage.current()).toBeUndefined();
    }
  });

  it('restores the caller scope after a synchronous throw, which becomes a rejection', async () => {
    const storage = new ScopeStorage(direct);
    const scope = ExecutionScope.cancellable();
    for (let call = 0; call < 3; call++) {
      const failure = new Error(`call ${call}`);
      const result = storage.invoke(() => {
        expect(storage.current()).toBe(scope);
        throw failure;
      }, scope);
      expect(storage.current()).toBeUndefined();
      await expect(result).rejects.toBe(failure);
    }
    // A plain value and a foreign thenable become promises too.
    await expect(storage.invoke(() => 5, scope)).resolves.toBe(5);
    const thenable = { then: (resolve: (value: number) => void) => resolve(6) } as unknown as PromiseLike<number>;
    await expect(storage.invoke(() => thenable, scope)).resolves.toBe(6);
  });

  it('works from any kind of async resource: inside run, a timer callback, a promise reaction', async () => {
    const storage = new ScopeStorage(direct);
    const caller = ExecutionScope.cancellable();
    const scope = ExecutionScope.cancellable(caller);
    const observe = async (): Promise<unknown[]> => {
      const seen: unknown[] = [storage.current()];
      seen.push(await storage.invoke(async () => storage.current(), scope));
      seen.push(storage.current());
      return seen;
    };
    await storage.invoke(async () => undefined, scope);
    const inRun = await storage.run(caller, observe);
    const inTimer = await new Promise<unknown[]>((resolve) => setTimeout(() => resolve(storage.run(caller, observe)), 1));
    const inReaction = await Promise.resolve().then(() => storage.run(caller, observe));
    for (const seen of [inRun, inTimer, inReaction]) expect(seen).toEqual([caller, scope, caller]);
    expect(storage.current()).toBeUndefined();
  });
});

describe('ScopeStorage on this Node', () => {
  it("takes the direct way in exactly where AsyncLocalStorage keeps its store on async resources (Node 20 and 22's hooks)", async () => {
    const storage = new ScopeStorage();
    await storage.invoke(async () => undefined, ExecutionScope.cancellable());
    const hooksBased = typeof (new AsyncLocalStorage() as unknown as { kResourceStore?: unknown }).kResourceStore === 'symbol';
    expect(storage.direct).toBe(hooksBased);
    // The machines this project is tested on run Node 20: the direct way must really be the one tested above.
    if (Number(process.versions.node.split('.')[0]) === 20) expect(storage.direct).toBe(true);
    expect(new ScopeStorage(false).direct).toBe(false);
  });
});
