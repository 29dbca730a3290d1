import { EmittedValues } from '@bulwark/core';
import { Observable } from 'rxjs';

/**
 * The outcome of a method's first call when the call was decided before the method ran (an open
 * breaker, a full bulkhead's queue, an aborted caller) and nothing yet tells whether the method
 * returns a Promise or an Observable (no return-type metadata). It is both: an Observable that
 * replays the call's outcome to each subscriber (the values, or the error) and a thenable that
 * settles with it (an Observable's last value), so `await`, `.then`, `.pipe` and `.subscribe` all
 * work and Nest's router accepts it either way. Later calls return the method's own shape.
 */
export class UndecidedCall<T> extends Observable<T> implements PromiseLike<T> {
  constructor(private readonly outcome: Promise<unknown>) {
    super((subscriber) => {
      outcome.then(
        (result) => {
          if (result instanceof EmittedValues) for (const value of result.values as readonly T[]) subscriber.next(value);
          else subscriber.next(result as T);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });
    // Neither awaited nor subscribed is fine (an Observable nobody subscribes to never errors).
    outcome.catch(noop);
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.outcome.then(lastValue<T>).then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.outcome.then(lastValue<T>).finally(onFinally);
  }
}

function lastValue<T>(result: unknown): T {
  if (!(result instanceof EmittedValues)) return result as T;
  return result.values[result.values.length - 1] as T;
}

function noop(): void {}
