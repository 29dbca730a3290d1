/** Whoever settles a promise made by `promiseSettledBy`: its resolvers are stored on it. */
export interface PromiseSettler<T> {
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (error: unknown) => void;
}

const NO_SETTLER: PromiseSettler<unknown> = { resolve: unsettled, reject: unsettled };

/** Where `capture` stores the resolvers of the promise being constructed. */
let target: PromiseSettler<unknown> = NO_SETTLER;

// One executor for every promise: an executor closure per call would be one more allocation on
// the hot path. The Promise constructor runs it synchronously, so it writes into the settler that
// `promiseSettledBy` named just before (one module variable written per call instead of two,
// and the resolvers go straight to the settler).
function capture(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  target.resolve = resolve as (value: unknown) => void;
  target.reject = reject;
}

/** A new pending promise whose resolvers are stored on `settler` (`Promise.withResolvers` needs Node 22). */
export function promiseSettledBy<T>(settler: PromiseSettler<T>): Promise<T> {
  // Restored, not reset: an async hook's `init`, run inside the constructor, may make a promise
  // this way too.
  const previous = target;
  target = settler as PromiseSettler<unknown>;
  const promise = new Promise<T>(capture);
  target = previous;
  return promise;
}

/** What a settler's `resolve` and `reject` hold before `promiseSettledBy` stores the real ones (one shape from construction on). */
export function unsettled(): void {}
