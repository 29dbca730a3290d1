import { from, isObservable, Observable, type MonoTypeOperatorFunction, type ObservableInput, type Subscriber } from 'rxjs';
import { currentScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { EmittedValues } from '../policy/emitted-values.js';
import type { Operation, ResiliencePolicy } from '../policy/policy.interface.js';

/**
 * What a streamed attempt resolves with: its values already went to the subscriber, so there is
 * nothing left to hand over. Never emitted (see `settle`), and never seen by a policy: policies
 * that judge results get buffered attempts instead (`EmittedValues`).
 */
const STREAMED: unique symbol = Symbol('bulwark.streamed');

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
 * - each attempt subscribes to the source; completion is success, an error is failure (a breaker
 *   counts one call per subscription);
 * - values flow to the subscriber as they come, unless the policy judges results (`retryOnResult`,
 *   `staleIfError`, result predicates: `inspectsResults`): then each attempt's values are buffered
 *   until it completes, the policy sees them (a predicate rejects an attempt when it rejects any of
 *   its values; `staleIfError` keeps and replays them all) and the subscriber gets those of the
 *   accepted attempt only;
 * - retry re-subscribes with the policy's backoff; timeout unsubscribes the attempt and errors
 *   with `TimeoutError`; a fallback's value (or Observable, or Promise) replaces the stream's rest;
 * - unsubscribing aborts the call's signal and every wait (retry delay, bulkhead queue).
 * The policy objects are the very ones the promise form uses: state is shared.
 */
export function withPolicy<T>(policy: ResiliencePolicy, options: PolicyOperatorOptions = {}): MonoTypeOperatorFunction<T> {
  const buffered = policy.inspectsResults === true;
  return (source) =>
    new Observable<T>((subscriber) => {
      const scope = ExecutionScope.cancellable(currentScope() ?? ExecutionScope.root);
      const call = new SubscribedCall(source, subscriber, buffered);
      policy.run<unknown>(call.attempt, scope, options.args, options.thisArg).then(call.settled, call.failed);
      return () => {
        // Only a call still running is cancelled: a finished call has nothing left to abort.
        if (call.running) scope.abort(unsubscribedReason());
        scope.dispose();
      };
    });
}

/** One subscription to the operator's Observable: its attempts, and the final outcome. */
class SubscribedCall<T> {
  running = true;

  constructor(
    private readonly source: Observable<T>,
    private readonly subscriber: Subscriber<T>,
    private readonly buffered: boolean,
  ) {}

  /** One attempt: subscribes to the source until it completes, errors, or the attempt's scope aborts. */
  readonly attempt: Operation<unknown> = (context) =>
    new Promise<unknown>((resolve, reject) => {
      const scope = context as ExecutionScope;
      const values: T[] | undefined = this.buffered ? [] : undefined;
      let stopListening: (() => void) | undefined;
      const subscriber = this.subscriber;
      const subscription = this.source.subscribe({
        next: values === undefined ? (value) => subscriber.next(value) : (value) => values.push(value),
        error: (error: unknown) => {
          stopListening?.();
          reject(error);
        },
        complete: () => {
          stopListening?.();
          resolve(values === undefined ? STREAMED : new EmittedValues(values));
        },
      });
      if (subscription.closed) return;
      stopListening = scope.onAbort((reason) => {
        subscription.unsubscribe();
        reject(reason);
      });
    });

  readonly settled = (result: unknown): void => {
    this.running = false;
    const subscriber = this.subscriber;
    if (subscriber.closed) return;
    if (result === STREAMED) {
      subscriber.complete();
    } else if (result instanceof EmittedValues) {
      for (const value of result.values as readonly T[]) subscriber.next(value);
      subscriber.complete();
    } else if (isObservable(result) || isPromiseLike(result)) {
      // A fallback that returns an Observable or a Promise replaces the stream.
      from(result as ObservableInput<T>).subscribe(subscriber);
    } else {
      subscriber.next(result as T);
      subscriber.complete();
    }
  };

  readonly failed = (error: unknown): void => {
    this.running = false;
    if (!this.subscriber.closed) this.subscriber.error(error);
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
