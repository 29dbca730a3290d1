import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * From now on, counts the AsyncLocalStorage scopes entered in this isolate (`run`, `enterWith`, by
 * any library). The isolates that must never turn the storage on check the count stays 0: on
 * Node 20 and 22 a single entry switches promise hooks on for the rest of the isolate's life, and
 * every figure measured there would silently carry that tax. The wrappers cost nothing while they
 * are never called, which is the point.
 */
export function countAsyncLocalStorageEntries(): () => number {
  let entries = 0;
  const prototype = AsyncLocalStorage.prototype as unknown as Record<'run' | 'enterWith', (...args: unknown[]) => unknown>;
  for (const method of ['run', 'enterWith'] as const) {
    const real = prototype[method];
    prototype[method] = function (this: unknown, ...args: unknown[]) {
      entries++;
      return real.apply(this, args);
    };
  }
  return () => entries;
}
