import { systemClock, type Clock } from '../clock/clock.js';
import type { ExecutionScope } from '../context/execution-scope.js';
import { TimeoutError } from '../errors/timeout.error.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
import { createLimitAlgorithm } from '../limit/adaptive-limit.options.js';
import type { LimitAlgorithm } from '../limit/limit-algorithm.interface.js';
import {
  DEFAULT_ADAPTIVE_BULKHEAD_MAX_QUEUE,
  validateAdaptiveBulkheadOptions,
  type AdaptiveBulkheadPolicyOptions,
} from './adaptive-bulkhead.options.js';
import { SlotBulkhead } from './slot-bulkhead.js';

/** What an adaptive bulkhead is doing now: for health entries and metrics. */
export interface AdaptiveBulkheadSnapshot {
  /** Calls that may run at once now. */
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Calls rejected with `BulkheadFullError` since creation. */
  readonly rejected: number;
}

/** Emitted when the limit changes. */
export interface LimitChangedEvent {
  readonly name: string;
  readonly limit: number;
  readonly previous: number;
}

/**
 * A bulkhead whose concurrency limit is learnt (Gradient2 unless told otherwise) rather than
 * configured: same contract as `BulkheadPolicy` (a bounded FIFO queue, `BulkheadFullError` beyond
 * it, queued callers leave on abort), with the limit taken from the algorithm after each call.
 *
 * What the limit learns from, per call that held a slot, timed from the slot to the settlement of
 * its work on `clock`:
 * - a success: a sample of its latency;
 * - a call whose deadline passed (the scope it ran in aborted with a `TimeoutError`, or the work
 *   itself failed with one): a sample marked dropped;
 * - any other failure, and a call its caller cancelled: nothing. A fast failure (a refused
 *   connection) says nothing about how many calls the dependency can take and would only raise the
 *   limit; a cancellation measures the caller's patience. Circuit breakers handle failures.
 */
export class AdaptiveBulkheadPolicy extends SlotBulkhead {
  readonly name: string;
  readonly maxQueue: number;
  readonly clock: Clock;
  /** @internal The engine times each slot on it. */
  readonly sampleClock: Clock;
  /** Fires when a sample changes the limit. */
  readonly onLimitChanged: Event<LimitChangedEvent>;

  private readonly algorithm: LimitAlgorithm;
  private readonly limitEmitter = new EventEmitter<LimitChangedEvent>();

  constructor(options: AdaptiveBulkheadPolicyOptions = {}) {
    super();
    const name = typeof options.name === 'string' && options.name !== '' ? options.name : 'bulkhead';
    const path = options.validationPath ?? `bulkheads.${name}`;
    validateAdaptiveBulkheadOptions(options, path);
    this.name = name;
    this.maxQueue = options.maxQueue ?? DEFAULT_ADAPTIVE_BULKHEAD_MAX_QUEUE;
    this.clock = options.clock ?? systemClock;
    this.sampleClock = this.clock;
    const adaptive = options.adaptive;
    this.algorithm = createLimitAlgorithm(adaptive === true ? undefined : adaptive, `${path}.adaptive`);
    this.onLimitChanged = this.limitEmitter.event;
  }

  /** Calls that may run at once now. */
  get limit(): number {
    return this.algorithm.limit;
  }

  protected get capacity(): number {
    return this.algorithm.limit;
  }

  snapshot(): AdaptiveBulkheadSnapshot {
    return { limit: this.algorithm.limit, inFlight: this.active, queued: this.queued, rejected: this.rejectedCount };
  }

  protected settled(slotAt: number, outcome: unknown, threw: boolean, scope: ExecutionScope): void {
    // Never ran (it ended while it waited): no latency to learn.
    if (slotAt !== slotAt) return;
    let dropped = false;
    if (scope.aborted) {
      if (!(scope.reason instanceof TimeoutError)) return;
      dropped = true;
    } else if (threw) {
      if (!(outcome instanceof TimeoutError)) return;
      dropped = true;
    }
    const now = this.clock.now();
    const algorithm = this.algorithm;
    const previous = algorithm.limit;
    const limit = algorithm.onSample(now - slotAt, this.active, dropped, now);
    if (limit !== previous && this.limitEmitter.hasListeners) this.limitEmitter.emit({ name: this.name, limit, previous });
  }
}
