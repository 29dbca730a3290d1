import { currentScope, EmittedValues, ExecutionScope, withdrawCall, type Operation, type ResiliencePolicy } from '@bulwark/core';
import { withPolicy } from '@bulwark/core/rxjs';
import { Logger } from '@nestjs/common';
import { concat, defer, from, ignoreElements, isObservable, type Observable } from 'rxjs';
import { UndecidedCall } from './undecided-call.js';

type AnyMethod = (...args: unknown[]) => unknown;

/** How a method's calls are made: as one Promise, or per subscription to an Observable. */
export type MethodShape = 'promise' | 'observable';

/**
 * The composed policies of one decorated method in one application, resolved at start-up.
 * - Promise shape: the call runs through the policies and the wrapper returns their Promise.
 * - Observable shape: the wrapper returns an Observable; policies apply per subscription (retry
 *   re-subscribes, re-invoking the method as `defer` does; timeout and unsubscribing abort).
 *
 * The shape is what the method returns, not what the compiler recorded: declared metadata
 * (`Promise`, an `async` method, `Observable`) settles it up front, and otherwise the method's first
 * invocation does. That invocation runs inside the policies like any call; when it returns an
 * Observable it is withdrawn (nothing counted, the Observable discarded unsubscribed) and the call
 * is made per subscription instead. An Observable method always returns an Observable.
 */
export class MethodPipeline {
  private warnedShape = false;
  private shape: MethodShape | undefined;

  constructor(
    /** `ClassName.methodName`, for messages. */
    readonly label: string,
    readonly policy: ResiliencePolicy,
    /** From declared metadata; undefined when it does not tell (no type, `any`, a type-only import, no metadata). */
    declared: MethodShape | undefined,
    private readonly logger: Logger,
  ) {
    this.shape = declared;
  }

  invoke(thisArg: unknown, args: unknown[], original: AnyMethod): unknown {
    const shape = this.shape;
    if (shape === 'promise') return this.policy.run(() => this.call(thisArg, args, original), scopeOfCaller(), args, thisArg);
    if (shape === 'observable') return this.subscribed(thisArg, args, original);
    return this.firstCall(thisArg, args, original);
  }

  private subscribed(thisArg: unknown, args: unknown[], original: AnyMethod): Observable<unknown> {
    return defer(() => original.apply(thisArg, args) as Observable<unknown>).pipe(withPolicy(this.policy, { args, thisArg }));
  }

  /** A call of a method whose shape is not known yet: its first invocation tells. */
  private firstCall(thisArg: unknown, args: unknown[], original: AnyMethod): unknown {
    // An async function returns a Promise, whatever the compiler recorded.
    if (original.constructor?.name === 'AsyncFunction') {
      this.shape = 'promise';
      return this.invoke(thisArg, args, original);
    }
    const probe = new ShapeProbe(this, thisArg, args, original);
    const outcome = this.policy.run(probe.operation, scopeOfCaller(), args, thisArg);
    probe.synchronous = false;
    if (probe.seen === 'observable') {
      // Withdrawn: subscriptions start once the policies have booked it (a breaker's trial permit
      // is back), a microtask or two later.
      const withdrawn = outcome.then(noop, noop);
      return concat(from(withdrawn).pipe(ignoreElements()), this.subscribed(thisArg, args, original));
    }
    if (probe.seen === 'promise') return outcome;
    // Decided before the method ran (open breaker, bulkhead queue, aborted caller).
    return new UndecidedCall(outcome);
  }

  /** @internal Records the shape a method's invocation showed (the first one wins). */
  learn(shape: MethodShape): void {
    this.shape ??= shape;
  }

  private call(thisArg: unknown, args: unknown[], original: AnyMethod): unknown {
    const result = original.apply(thisArg, args);
    if (result instanceof Promise) return result;
    return this.adopt(result);
  }

  /**
   * @internal What a Promise-shaped call does with something other than a Promise. Policies are
   * asynchronous, so the caller gets a Promise either way; say so once, loudly, rather than
   * change a method's shape in silence.
   */
  adopt(result: unknown): unknown {
    if (isObservable(result)) {
      this.warnOnce(
        `${this.label} returned an Observable, but its earlier calls returned Promises, so this call's caller ` +
          `already holds a Promise: Bulwark resolves it with the Observable's values. Return one shape from a method.`,
      );
      return collect(result).then(lastValue);
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') return result;
    this.warnOnce(
      `${this.label} returned a plain value; resilient methods always return a Promise. Make it async ` +
        `(or declare Promise<T>) so callers expect one.`,
    );
    return result;
  }

  private warnOnce(message: string): void {
    if (this.warnedShape) return;
    this.warnedShape = true;
    this.logger.warn(message);
  }
}

/**
 * The operation of a method's first call while its shape is unknown. Invoked inside the policies
 * like any attempt; what the method returns decides the shape for every later call.
 */
class ShapeProbe {
  /** What the invocation made while `policy.run` was still on the stack returned. */
  seen: MethodShape | undefined = undefined;
  /** True until `policy.run` returns: an invocation then is the call's first attempt, made at once. */
  synchronous = true;

  constructor(
    private readonly pipeline: MethodPipeline,
    private readonly thisArg: unknown,
    private readonly args: unknown[],
    private readonly original: AnyMethod,
  ) {}

  readonly operation: Operation<unknown> = () => {
    const result = this.original.apply(this.thisArg, this.args);
    const observable = isObservable(result);
    this.pipeline.learn(observable ? 'observable' : 'promise');
    if (this.synchronous && this.seen === undefined) {
      this.seen = observable ? 'observable' : 'promise';
      // The caller will get an Observable, made per subscription: this call never happened.
      if (observable) return withdrawCall();
    }
    // A first attempt that had to wait: the caller holds an UndecidedCall, which replays the values.
    if (this.seen === undefined && observable) return collect(result);
    // Later attempts of a Promise-shaped call.
    return this.pipeline.adopt(result);
  };
}

/** The values an Observable emits until it completes (its error, if it errors). */
function collect(source: Observable<unknown>): Promise<EmittedValues> {
  return new Promise((resolve, reject) => {
    const values: unknown[] = [];
    source.subscribe({ next: (value) => values.push(value), error: reject, complete: () => resolve(new EmittedValues(values)) });
  });
}

function lastValue(result: EmittedValues): unknown {
  return result.values[result.values.length - 1];
}

function scopeOfCaller(): ExecutionScope {
  return currentScope() ?? ExecutionScope.root;
}

function noop(): void {}
