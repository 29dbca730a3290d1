import { isObservable, Observable, type MonoTypeOperatorFunction, type ObservableInput, from } from 'rxjs';
import { currentScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import type { ResiliencePolicy } from '../policy/policy.interface.js';

/** Sentinel resolving an attempt whose source completed (its values went straight to the subscriber). */
const COMPLETED: unique symbol = Symbol('bulwark.completed');

let unsubscribed: DOMException | undefined;

/**
 * Why an attempt was abandoned when its subscriber unsubscribed (`firstValueFrom` does, after the
 * first value). One shared instance: a DOMException costs microseconds to build, and carries
 * nothing call-specific.
 */
export function unsubscribedReason(): DOMException {
  unsubscribed ??= new DOMException('The subscriber unsubscribed', 'AbortError');
  return unsubscribed;
}

export interface PolicyOperatorOptions {
  /** Arguments of the method call that produced the Observable (fallback handlers, stale keys). */
  readonly args?: readonly unknown[];
  /** The instance the method was called on (fallback handlers are called with it). */
  readonly thisArg?: unknown;
}

/**
 * Applies a policy (or a composition) to an Observable, per subscription:
 * - each attempt subscribes to the source; values flow to the subscriber as they come;
 * - completion is success, an error is failure (a breaker counts one call per subscription);
 * - retry re-subscribes with the policy's backoff; timeout unsubscribes the attempt and errors
 *   with `TimeoutError`; a fallback's value (or Observable) replaces the failed stream's rest;
 * - unsubscribing aborts the call's signal and every wait (retry delay, bulkhead queue).
 * The policy objects are the very ones the promise form uses: state is shared.
 */
export function withPolicy<T>(policy: ResiliencePolicy, options: PolicyOperatorOptions = {}): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const scope = ExecutionScope.cancellable(currentScope() ?? ExecutionScope.root);
      let running = true;
      policy
        .run<T | typeof COMPLETED>(
          (context) =>
            new Promise<typeof COMPLETED>((resolve, reject) => {
              const attemptScope = context as ExecutionScope;
              let stopListening: (() => void) | undefined;
              const subscription = source.subscribe({
                next: (value) => subscriber.next(value),
                error: (error: unknown) => {
                  stopListening?.();
                  reject(error);
                },
                complete: () => {
                  stopListening?.();
                  resolve(COMPLETED);
                },
              });
              if (subscription.closed) return;
              stopListening = attemptScope.onAbort((reason) => {
                subscription.unsubscribe();
                reject(reason);
              });
            }),
          scope,
          options.args,
          options.thisArg,
        )
        .then(
          (result) => {
            running = false;
            if (subscriber.closed) return;
            if (result === COMPLETED) {
              subscriber.complete();
            } else if (isObservable(result) || isPromiseLike(result)) {
              // A fallback that returns an Observable or a Promise replaces the stream.
              from(result as ObservableInput<T>).subscribe(subscriber);
            } else {
              subscriber.next(result as T);
              subscriber.complete();
            }
          },
          (error: unknown) => {
            running = false;
            if (!subscriber.closed) subscriber.error(error);
          },
        );
      return () => {
        // Only a call still running is cancelled: a completed call has nothing left to abort.
        if (running) scope.abort(unsubscribedReason());
        scope.dispose();
      };
    });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
