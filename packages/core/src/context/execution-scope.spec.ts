import { describe, expect, it, jest } from '@jest/globals';
import { currentScope, currentSignal, runInScope } from './current-signal.js';
import { ExecutionScope } from './execution-scope.js';

describe('ExecutionScope', () => {
  it('creates its AbortSignal only when asked, already aborted if the scope is', () => {
    const scope = ExecutionScope.cancellable();
    expect((scope as unknown as { controller?: AbortController }).controller).toBeUndefined();
    scope.abort('why');
    expect(scope.signal.aborted).toBe(true);
    expect(scope.signal.reason).toBe('why');
  });

  it('root never aborts and hands out one shared never-aborted signal', () => {
    ExecutionScope.root.abort(new Error('no'));
    expect(ExecutionScope.root.aborted).toBe(false);
    expect(ExecutionScope.root.signal).toBe(ExecutionScope.root.signal);
    expect(ExecutionScope.root.deadline).toBe(Infinity);
  });

  it('a child takes the earlier deadline and follows a cancellable parent', () => {
    const parent = ExecutionScope.cancellable();
    const early = parent.child(100);
    expect(early.deadline).toBe(100);
    const inner = early.child(500);
    expect(inner.deadline).toBe(100);
    parent.abort('stop');
    expect(early.aborted && inner.aborted).toBe(true);
    expect(inner.reason).toBe('stop');
  });

  it('a child of an aborted parent starts aborted', () => {
    const parent = ExecutionScope.cancellable();
    parent.abort('gone');
    expect(parent.child(10).reason).toBe('gone');
    expect(ExecutionScope.cancellable(parent).reason).toBe('gone');
  });

  it('fromSignal follows the signal and unlinks on dispose', () => {
    const controller = new AbortController();
    const scope = ExecutionScope.fromSignal(controller.signal);
    scope.dispose();
    controller.abort('late');
    expect(scope.aborted).toBe(false);
    const live = ExecutionScope.fromSignal(controller.signal);
    expect(live.reason).toBe('late');
  });

  it('listeners are called once, can unsubscribe, and one throwing does not stop the others', () => {
    const scope = ExecutionScope.cancellable();
    const first = jest.fn(() => {
      throw new Error('bad listener');
    });
    const second = jest.fn();
    const removed = jest.fn();
    scope.onAbort(first);
    scope.onAbort(second);
    scope.onAbort(removed)();
    scope.abort('x');
    scope.abort('y');
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledWith('x');
    expect(removed).not.toHaveBeenCalled();
    const late = jest.fn();
    scope.onAbort(late);
    expect(late).toHaveBeenCalledWith('x');
  });

  it('runInScope makes the scope current across awaits, and only inside', async () => {
    const scope = ExecutionScope.cancellable();
    expect(currentScope()).toBeUndefined();
    const seen = await runInScope(scope, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return [currentScope(), currentSignal()];
    });
    expect(seen[0]).toBe(scope);
    expect(seen[1]).toBe(scope.signal);
    expect(currentSignal()).toBeUndefined();
  });
});
