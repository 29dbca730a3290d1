import { describe, expect, it } from '@jest/globals';
import { createHook } from 'node:async_hooks';
import { promiseSettledBy, unsettled, type PromiseSettler } from './promise-settled-by.js';

class Settler<T> implements PromiseSettler<T> {
  resolve: (value: T | PromiseLike<T>) => void = unsettled;
  reject: (error: unknown) => void = unsettled;
}

describe('promiseSettledBy', () => {
  it('hands the new promise its resolvers on the settler', async () => {
    const resolved = new Settler<number>();
    const rejected = new Settler<number>();
    const first = promiseSettledBy(resolved);
    const second = promiseSettledBy(rejected);
    resolved.resolve(1);
    rejected.reject(new Error('no'));
    await expect(first).resolves.toBe(1);
    await expect(second).rejects.toThrow('no');
  });

  it('gives each promise its own resolvers when an async hook makes one while another is being constructed', async () => {
    const inner: Array<{ settler: Settler<string>; promise: Promise<string> }> = [];
    let making = false;
    const hook = createHook({
      init(_id, type) {
        // Runs inside the Promise constructor, before its executor.
        if (type !== 'PROMISE' || making || inner.length > 0) return;
        making = true;
        const settler = new Settler<string>();
        inner.push({ settler, promise: promiseSettledBy(settler) });
        making = false;
      },
    }).enable();
    const outer = new Settler<string>();
    let promise: Promise<string>;
    try {
      promise = promiseSettledBy(outer);
    } finally {
      hook.disable();
    }
    expect(inner).toHaveLength(1);
    expect(outer.resolve).not.toBe(unsettled);
    expect(outer.resolve).not.toBe(inner[0]!.settler.resolve);
    outer.resolve('outer');
    inner[0]!.settler.resolve('inner');
    await expect(promise).resolves.toBe('outer');
    await expect(inner[0]!.promise).resolves.toBe('inner');
  });
});
