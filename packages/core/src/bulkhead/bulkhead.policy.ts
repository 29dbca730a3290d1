import { PipelinePolicy } from '../engine/pipeline-policy.js';
import type { BulkheadStage, BulkheadWaiter } from '../engine/pipeline-stages.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { createWithoutStack } from '../errors/resilience.error.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
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
export class BulkheadPolicy extends PipelinePolicy implements BulkheadStage {
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

  /** @internal Takes a slot if one is free now. */
  tryEnter(): boolean {
    if (this.active >= this.maxConcurrent) return false;
    this.active++;
    return true;
  }

  /**
   * @internal Queues a caller for the next free slot (FIFO), if there is room; an abort of its
   * scope while it waits takes it out of the queue.
   */
  enqueue(waiter: BulkheadWaiter): boolean {
    if (this.queue.length >= this.maxQueue) return false;
    const queued = new QueuedCall(waiter);
    this.queue.push(queued);
    queued.unsubscribe = waiter.waitScope.onAbort((reason) => {
      if (this.queue.remove(queued)) waiter.cancelled(reason);
    });
    return true;
  }

  /** @internal Books a call turned away (every slot and every queue place taken) and returns its error. */
  full(): BulkheadFullError {
    this.rejected++;
    if (this.rejectedEmitter.hasListeners) this.rejectedEmitter.emit({ name: this.name });
    return createWithoutStack(() => new BulkheadFullError(this.name, this.maxConcurrent, this.maxQueue));
  }

  /** @internal Frees one slot and hands free slots to waiting callers, oldest first. */
  release(): void {
    this.active--;
    while (this.active < this.maxConcurrent) {
      const queued = this.queue.shift();
      if (queued === undefined) return;
      queued.unsubscribe();
      this.active++;
      queued.grant();
    }
  }
}
