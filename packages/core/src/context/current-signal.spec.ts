import { describe, expect, it } from '@jest/globals';
import { currentScope, currentSignal, isCurrentScope, runInScope, runInScopeWith } from './current-signal.js';
import { ExecutionScope } from './execution-scope.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runInScope / currentScope', () => {
  it('makes the scope current in the function, across awaits and in what it schedules while it runs, and only there', async () => {
    const scope = ExecutionScope.cancellable();
    const seen: unknown[] = [];
    const result = runInScope(scope, async () => {
      seen.push(currentScope());
      await Promise.resolve();
      seen.push(currentScope());
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(currentScope());
      seen.push(await new Promise((resolve) => setImmediate(() => resolve(currentScope()))));
      return 1;
    });
    expect(currentScope()).toBeUndefined();
    expect(await result).toBe(1);
    expect(currentScope()).toBeUndefined();
    expect(seen).toEqual([scope, scope, scope, scope]);
    expect(currentSignal()).toBeUndefined();
  });

  it('gives nested scopes the innermost and restores each caller its own, after a synchronous throw too', async () => {
    const outer = ExecutionScope.cancellable();
    const inner = outer.child(Date.now() + 60_000);
    const seen: unknown[] = [];
    await runInScope(outer, async () => {
      seen.push(currentScope());
      const nested = runInScope(inner, async () => {
        await tick();
        return currentScope();
      });
      seen.push(currentScope());
      expect(await nested).toBe(inner);
      expect(() =>
        runInScope(inner, () => {
          throw new Error('sync');
        }),
      ).toThrow('sync');
      seen.push(currentScope());
    });
    expect(seen).toEqual([outer, outer, outer]);
    expect(currentScope()).toBeUndefined();
  });

  it('runInScopeWith passes its argument, and isCurrentScope sees the raw store', () => {
    const scope = ExecutionScope.cancellable();
    expect(runInScopeWith(scope, (value: number) => [value, isCurrentScope(scope), currentScope()], 7)).toEqual([7, true, scope]);
    expect(isCurrentScope(scope)).toBe(false);
  });

  it('currentSignal() is the scope\'s signal, which aborts with it', () => {
    const scope = ExecutionScope.cancellable();
    const signal = runInScope(scope, () => currentSignal());
    expect(signal).toBe(scope.signal);
    scope.abort('gone');
    expect(signal!.aborted).toBe(true);
  });
});
