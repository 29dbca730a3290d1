import { systemClock, type Clock } from '../clock/clock.js';
import { invokeInScope } from '../context/current-signal.js';
import type { ExecutionScope } from '../context/execution-scope.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { EventEmitter } from '../events/event-emitter.js';
import { BasePolicy } from '../policy/base.policy.js';
import { promiseSettledBy, unsettled } from '../policy/promise-settled-by.js';
import type { Operation } from '../policy/policy.interface.js';
import { DeadlineQueue } from './deadline-queue.js';
import { TimedScope } from './timed-scope.js';
import { validateTimeoutOptions, type TimeoutOptions } from './timeout.options.js';

export interface TimeoutEvent {
  readonly name: string;
  readonly duration: number;
  /** Clock time at which the call was abandoned. */
  readonly at: number;
  /** What `captureContext` returned when the call started (tracing integrations use it). */
  readonly context?: unknown;
}

export type TimeoutPolicyOptions = TimeoutOptions & {
  name?: string;
  clock?: Clock;
  /** Prefix of validation messages (`timeouts.database`); defaults to `timeout "<name>"`. */
  validationPath?: string;
};

/**
 * Bounds a call in time. Cooperative and forced at once: at the deadline the call's signal aborts
 * with a `TimeoutError` (so `fetch` and drivers given `currentSignal()` stop their work), and the
 * returned promise rejects with that error even if the callee ignores the signal. Whatever the
 * callee does later is absorbed: no unhandled rejection, no second outcome.
 *
 * Deadlines nest: a call made inside another resilient call never outlives the outer deadline;
 * when the outer deadline is the earlier one, the inner call fails with the outer's TimeoutError.
 */
export class TimeoutPolicy extends BasePolicy {
  readonly kind = 'timeout' as const;
  readonly name: string;
  readonly duration: number;
  /** @internal */
  readonly clock: Clock;
  /** @internal */
  readonly queue: DeadlineQueue;
  private readonly timeoutEmitter = new EventEmitter<TimeoutEvent>();
  private timeouts = 0;

  /** Emitted when a call is abandoned at this policy's deadline. */
  readonly onTimeout = this.timeoutEmitter.event;

  /**
   * Set by tracing integrations: called when each call starts, its result handed back in that
   * call's `onTimeout` event. Expiry runs from the shared timer, in the async context of whichever
   * call armed it, so "the active span" there is not the timed-out call's; this carries the right
   * one across. Unset (the default), nothing is captured.
   */
  captureContext: (() => unknown) | undefined = undefined;

  /** Builds the error once per expiry, named after this policy; shared with inheriting scopes. */
  readonly createError = (): TimeoutError => new TimeoutError(this.name, this.duration);

  constructor(options: TimeoutPolicyOptions | number) {
    super();
    const resolved = typeof options === 'number' ? { duration: options } : options;
    this.name = resolved.name ?? 'timeout';
    validateTimeoutOptions(
      typeof options === 'number' ? options : { duration: resolved.duration },
      (typeof options === 'number' ? undefined : options.validationPath) ?? `timeout "${this.name}"`,
    );
    this.duration = resolved.duration;
    this.clock = resolved.clock ?? systemClock;
    this.queue = new DeadlineQueue(this.clock);
  }

  /** Calls abandoned at this policy's own deadline since creation. */
  get timeoutCount(): number {
    return this.timeouts;
  }

  /** Calls currently running under this policy's own deadline. */
  get pendingCount(): number {
    return this.queue.size;
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    if (scope.aborted) return Promise.reject(scope.reason);
    const ownDeadline = this.deadlineFromNow();
    const inherited = scope.deadline <= ownDeadline;
    const call = new TimedCall<T>(this, scope, inherited ? scope.deadline : ownDeadline, inherited);
    if (!inherited) call.deadlineError = this.createError;
    if (this.captureContext !== undefined) call.context = this.captureContext();
    const promise = promiseSettledBy(call);
    if (!inherited) this.queue.add(call);
    // The outer scope can end this call first (its deadline, which we inherited, or its
    // caller's cancellation): follow it. Top-level calls skip this and its listener.
    if (inherited || call.abortable) call.followScope();
    // Bound methods: no closure context per call (see FusedPipeline.run).
    invokeInScope(operation, call).then(call.value.bind(call), call.error.bind(call));
    return promise;
  }

  /**
   * @internal Books a call abandoned at this policy's deadline: counts it, reports it, aborts its
   * scope (and so its signal) and returns the error to reject it with.
   */
  expire(scope: ExecutionScope, context: unknown): TimeoutError {
    this.timeouts++;
    const error = this.createError();
    if (this.timeoutEmitter.hasListeners) {
      const at = this.clock.now();
      this.timeoutEmitter.emit(
        context === undefined ? { name: this.name, duration: this.duration, at } : { name: this.name, duration: this.duration, at, context },
      );
    }
    scope.abort(error);
    return error;
  }

  /** @internal The absolute deadline a call starting now gets from this policy. */
  deadlineFromNow(): number {
    return this.clock.now() + this.duration;
  }
}

/** One call under a lone timeout: settles the policy's promise with whoever wins the race. */
class TimedCall<T> extends TimedScope {
  constructor(
    private readonly policy: TimeoutPolicy,
    parent: ExecutionScope,
    deadline: number,
    inherited: boolean,
  ) {
    super(parent, deadline, inherited, inherited ? undefined : policy.queue);
  }

  /** Settle the policy's promise (set by `promiseSettledBy` while constructing it). */
  resolve: (value: T | PromiseLike<T>) => void = unsettled;
  reject: (error: unknown) => void = unsettled;

  value(value: T): void {
    if (this.finish()) this.resolve(value);
  }

  error(error: unknown): void {
    if (this.finish()) this.reject(error);
  }

  protected expired(): void {
    this.reject(this.policy.expire(this, this.context));
  }

  protected abandoned(reason: unknown): void {
    this.reject(reason);
  }
}
