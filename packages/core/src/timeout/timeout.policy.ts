import { systemClock, type Clock } from '../clock/clock.js';
import type { ExecutionScope } from '../context/execution-scope.js';
import { PipelinePolicy } from '../engine/pipeline-policy.js';
import type { TimeoutStage } from '../engine/pipeline-stages.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { EventEmitter } from '../events/event-emitter.js';
import { DeadlineQueue } from './deadline-queue.js';
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
export class TimeoutPolicy extends PipelinePolicy implements TimeoutStage {
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
}
