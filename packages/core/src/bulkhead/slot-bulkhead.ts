import type { Clock } from '../clock/clock.js';
import type { ExecutionScope } from '../context/execution-scope.js';
import { PipelinePolicy } from '../engine/pipeline-policy.js';
import type { BulkheadStage, BulkheadWaiter } from '../engine/pipeline-stages.js';
import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { createWithoutStack } from '../errors/resilience.error.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
import { CallQueue, QueuedCall } from './bulkhead.queue.js';

/** Emitted when a call is turned away because every slot and every queue place is taken. */
export interface BulkheadRejectedEvent {
  readonly name: string;
}

/**
 * What the static and the adaptive bulkhead share: slots up to a capacity, a FIFO queue of at most
 * `maxQueue` callers that leave it when their scope aborts, and a stackless `BulkheadFullError`
 * beyond both. Subclasses say what the capacity is now and may learn from each settled call.
 *
 * A slot is held until the operation itself settles, not until the caller stops waiting: a timeout
 * outside the bulkhead rejects the caller, but the work keeps its slot while it still runs, which
 * is the point of bounding it.
 */
export abstract class SlotBulkhead extends PipelinePolicy implements BulkheadStage {
  readonly kind = 'bulkhead' as const;
  abstract override readonly name: string;
  abstract readonly maxQueue: number;
  /** @internal See `BulkheadStage.sampleClock`. */
  abstract readonly sampleClock: Clock | undefined;
  /** Fires for every call rejected because the bulkhead is full. */
  readonly onRejected: Event<BulkheadRejectedEvent>;

  protected active = 0;
  private rejected = 0;
  private readonly queue = new CallQueue();
  private readonly rejectedEmitter = new EventEmitter<BulkheadRejectedEvent>();

  protected constructor() {
    super();
    this.onRejected = this.rejectedEmitter.event;
  }

  /** How many calls may hold a slot now. */
  protected abstract get capacity(): number;

  /** Calls currently running (holding a slot). */
  get running(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Calls rejected because the bulkhead was full, since creation. */
  get rejectedCount(): number {
    return this.rejected;
  }

  /** @internal Takes a slot if one is free now. */
  tryEnter(): boolean {
    if (this.active >= this.capacity) return false;
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
    return createWithoutStack(() => new BulkheadFullError(this.name, this.capacity, this.maxQueue));
  }

  /** @internal Frees one slot (learning from the call first) and hands free slots to waiting callers, oldest first. */
  release(slotAt: number, outcome: unknown, threw: boolean, scope: ExecutionScope): void {
    this.settled(slotAt, outcome, threw, scope);
    this.active--;
    while (this.active < this.capacity) {
      const queued = this.queue.shift();
      if (queued === undefined) return;
      queued.unsubscribe();
      this.active++;
      queued.grant();
    }
  }

  /** A call holding a slot settled (before its slot is freed): what an adaptive bulkhead learns from. */
  protected abstract settled(slotAt: number, outcome: unknown, threw: boolean, scope: ExecutionScope): void;
}
