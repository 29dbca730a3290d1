import type { ExecutionScope } from '../context/execution-scope.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { createWithoutStack } from '../errors/resilience.error.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
import { BasePolicy, invoke } from '../policy/base.policy.js';
import type { Operation } from '../policy/policy.interface.js';
import { DEFAULT_BULKHEAD_OPTIONS, validateBulkheadOptions, type BulkheadPolicyOptions } from './bulkhead.options.js';
import { CallQueue, QueuedCall } from './bulkhead.queue.js';

/** Emitted when a call is turned away because every slot and every queue place is taken. */
export interface BulkheadRejectedEvent {
  readonly name: string;
}

/**
 * Bounds how many calls run at once (`maxConcurrent`) and how many wait for a slot (`maxQueue`,
 * FIFO); beyond both, calls fail at once with a stackless `BulkheadFullError`.
 *
 * A slot is held until the operation itself settles, not until the caller stops waiting: a timeout
 * outside the bulkhead rejects the caller, but the work keeps its slot while it still runs, which
 * is the point of bounding it.
 */
export class BulkheadPolicy extends BasePolicy {
  readonly kind = 'bulkhead' as const;
  readonly name: string;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Fires for every call rejected because the bulkhead is full. */
  readonly onRejected: Event<BulkheadRejectedEvent>;

  private active = 0;
  private rejected = 0;
  private readonly queue = new CallQueue();
  private readonly rejectedEmitter = new EventEmitter<BulkheadRejectedEvent>();

  constructor(options: BulkheadPolicyOptions = {}) {
    super();
    const name = typeof options.name === 'string' && options.name !== '' ? options.name : 'bulkhead';
    validateBulkheadOptions(options, options.validationPath ?? `bulkheads.${name}`);
    this.name = name;
    this.maxConcurrent = options.maxConcurrent ?? DEFAULT_BULKHEAD_OPTIONS.maxConcurrent;
    this.maxQueue = options.maxQueue ?? DEFAULT_BULKHEAD_OPTIONS.maxQueue;
    this.onRejected = this.rejectedEmitter.event;
  }

  /** Calls currently running (holding a slot). */
  get running(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Free slots: `maxConcurrent - running`. */
  get available(): number {
    return this.maxConcurrent - this.active;
  }

  /** Calls rejected because the bulkhead was full, since creation. */
  get rejectedCount(): number {
    return this.rejected;
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    if (scope.aborted) return Promise.reject(scope.reason);
    if (this.active < this.maxConcurrent) {
      this.active++;
      // Two preallocated handlers rather than `finally`, which allocates closures per call.
      return invoke(operation, scope).then(this.releaseOnValue, this.releaseOnError) as Promise<T>;
    }
    if (this.queue.length < this.maxQueue) return this.enqueue(operation, scope);
    return this.reject();
  }

  private enqueue<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    const call = new QueuedCall(operation, scope);
    this.queue.push(call as QueuedCall);
    call.unsubscribe = scope.onAbort((reason) => {
      if (this.queue.remove(call as QueuedCall)) call.reject(reason);
    });
    return call.promise;
  }

  private reject(): Promise<never> {
    this.rejected++;
    if (this.rejectedEmitter.hasListeners) this.rejectedEmitter.emit({ name: this.name });
    return Promise.reject(
      createWithoutStack(() => new BulkheadFullError(this.name, this.maxConcurrent, this.maxQueue)),
    );
  }

  private readonly releaseOnValue = <T>(value: T): T => {
    this.release();
    return value;
  };

  private readonly releaseOnError = (error: unknown): never => {
    this.release();
    throw error;
  };

  /** @internal Takes a slot if one is free now (composition's fast path); false when none is. */
  tryEnter(): boolean {
    if (this.active >= this.maxConcurrent) return false;
    this.active++;
    return true;
  }

  /** @internal Frees one slot and hands free slots to waiting callers, oldest first. */
  release(): void {
    this.active--;
    while (this.active < this.maxConcurrent) {
      const call = this.queue.shift();
      if (call === undefined) return;
      call.unsubscribe();
      this.start(call);
    }
  }

  private start(call: QueuedCall): void {
    this.active++;
    const outcome: Promise<unknown> = call.runInAsyncScope(invoke, undefined, call.operation, call.scope);
    // The slot is released before the caller hears the outcome, so it sees up-to-date counters.
    outcome.then(this.releaseOnValue, this.releaseOnError).then(call.resolve, call.reject);
  }
}
