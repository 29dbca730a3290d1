import { flushMicrotasks } from '@bulwark/core';

/** A promise with its settle functions exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A promise's state, readable synchronously. */
export interface Settled<T> {
  state: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
  promise: Promise<void>;
}

export function settle<T>(promise: PromiseLike<T>): Settled<T> {
  const result: Settled<T> = { state: 'pending', promise: Promise.resolve() };
  result.promise = Promise.resolve(promise).then(
    (value) => {
      result.state = 'fulfilled';
      result.value = value;
    },
    (error: unknown) => {
      result.state = 'rejected';
      result.error = error;
    },
  );
  return result;
}

/** Waits (in real time, a few ms at most per turn) until `condition` holds. */
export async function waitFor(condition: () => boolean, what = 'condition', limitMs = 5_000): Promise<void> {
  // Bounded by wall time, not by turns: on a loaded two-core CI machine an HTTP round trip can take
  // far longer than a fixed number of short sleeps.
  const until = Date.now() + limitMs;
  for (let i = 0; ; i++) {
    if (condition()) return;
    if (Date.now() > until) break;
    await flushMicrotasks();
    if (i > 20) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

