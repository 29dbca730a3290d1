/** Whoever settles a promise made by `promiseSettledBy`: its resolvers are stored on it. */
export interface PromiseSettler<T> {
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (error: unknown) => void;
}

let capturedResolve: (value: never) => void = unsettled;
let capturedReject: (error: unknown) => void = unsettled;

// One executor for every promise: an executor closure per call would be one more allocation on
// the hot path. The Promise constructor runs it synchronously, so the captured pair is handed over
// before anything else can create a promise through it.
function capture(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** A new pending promise whose resolvers are stored on `settler` (`Promise.withResolvers` needs Node 22). */
export function promiseSettledBy<T>(settler: PromiseSettler<T>): Promise<T> {
  const promise = new Promise<T>(capture);
  settler.resolve = capturedResolve as (value: T | PromiseLike<T>) => void;
  settler.reject = capturedReject;
  capturedResolve = unsettled;
  capturedReject = unsettled;
  return promise;
}

/** What a settler's `resolve` and `reject` hold before `promiseSettledBy` stores the real ones (one shape from construction on). */
export function unsettled(): void {}
