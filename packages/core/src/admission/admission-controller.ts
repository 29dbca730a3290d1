import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { CallQueue, type QueueNode } from '../bulkhead/bulkhead.queue.js';
import { LoadShedError, type LoadShedReason } from '../errors/load-shed.error.js';
import { createWithoutStack } from '../errors/resilience.error.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
import { createLimitAlgorithm, isLimitAlgorithm } from '../limit/adaptive-limit.options.js';
import type { LimitAlgorithm } from '../limit/limit-algorithm.interface.js';
import { resolveLimitBounds } from '../limit/limit-bounds.options.js';
import {
  DEFAULT_ADMISSION_LIMIT_BOUNDS,
  DEFAULT_ADMISSION_OPTIONS,
  validateAdmissionOptions,
  type AdmissionControllerPolicyOptions,
  type AdmissionPriority,
} from './admission.options.js';

/**
 * How an admitted request ended, for the limit: `'success'` (its latency is a sample, the default),
 * `'dropped'` (it timed out or was rejected downstream for overload: loss-based algorithms back
 * off), `'ignored'` (nothing to learn: the client went away, a validation error).
 */
export type AdmissionOutcome = 'success' | 'dropped' | 'ignored';

/** Ends an admitted request (frees its place); calls after the first do nothing. */
export type AdmissionRelease = (outcome?: AdmissionOutcome) => void;

/** What an admission controller is doing now: for health entries and metrics. */
export interface AdmissionSnapshot {
  /** Requests that may be in flight now (critical ones are admitted beyond it). */
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Requests shed since creation. */
  readonly shed: number;
}

/** Emitted for every request shed. */
export interface LoadShedEvent {
  readonly name: string;
  readonly priority: AdmissionPriority;
  readonly reason: LoadShedReason;
}

/** A request waiting for capacity. */
class Waiter implements QueueNode<Waiter> {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;

  constructor(
    readonly enqueuedAt: number,
    readonly resolve: (release: AdmissionRelease) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
    readonly onAbort: () => void,
  ) {}
}

/**
 * Inbound load shedding, before any handler work: admits requests while fewer than an adaptive
 * limit are in flight, lets `default` ones wait a little in a FIFO queue, and sheds the rest with a
 * stackless `LoadShedError` carrying a `retryAfterMs`.
 *
 * - `critical` requests (health probes, admin) are always admitted at once; they count as in flight.
 * - `sheddable` requests are admitted only while nobody waits and fewer than `sheddableShare` of
 *   the limit are in flight; otherwise they are shed at once.
 * - The queue drops by delay, CoDel-style (as in Facebook's "Fail at Scale"): while it has been
 *   empty within the last `queueInterval` a request may wait up to `queueInterval`; once it has
 *   stood that long, a request that has waited `queueTarget` is shed. A burst is absorbed, a
 *   standing queue is not allowed to turn into latency for everyone.
 *
 * One timer at most (at the oldest waiter's expiry), none while the queue is empty. The limit learns
 * from each released request's latency, from admission to release.
 */
export class AdmissionController {
  readonly name: string;
  readonly clock: Clock;
  readonly maxQueue: number;
  readonly queueTarget: number;
  readonly queueInterval: number;
  readonly sheddableShare: number;
  readonly retryAfterMs: number;
  /** Fires for every request shed. */
  readonly onShed: Event<LoadShedEvent>;

  private readonly algorithm: LimitAlgorithm;
  private readonly queue = new CallQueue<Waiter>();
  private readonly shedEmitter = new EventEmitter<LoadShedEvent>();
  private active = 0;
  private shedCount = 0;
  /** When the queue last went from empty to not (`NaN` while empty). */
  private busySince = NaN;
  private timer: TimerHandle | undefined = undefined;
  private timerAt = Infinity;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.drain();
  };

  constructor(options: AdmissionControllerPolicyOptions = {}) {
    const path = options.validationPath ?? 'loadShedding';
    validateAdmissionOptions(options, path);
    const defaults = DEFAULT_ADMISSION_OPTIONS;
    this.name = options.name ?? 'loadShedding';
    this.clock = options.clock ?? systemClock;
    this.maxQueue = options.maxQueue ?? defaults.maxQueue;
    this.queueTarget = options.queueTarget ?? defaults.queueTarget;
    this.queueInterval = options.queueInterval ?? defaults.queueInterval;
    this.sheddableShare = options.sheddableShare ?? defaults.sheddableShare;
    this.retryAfterMs = options.retryAfterMs ?? defaults.retryAfterMs;
    const limit = options.limit ?? {};
    this.algorithm = isLimitAlgorithm(limit)
      ? createLimitAlgorithm(limit, `${path}.limit`)
      : createLimitAlgorithm({ ...limit, ...resolveLimitBounds(limit, DEFAULT_ADMISSION_LIMIT_BOUNDS) }, `${path}.limit`);
    this.onShed = this.shedEmitter.event;
  }

  get limit(): number {
    return this.algorithm.limit;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  snapshot(): AdmissionSnapshot {
    return { limit: this.algorithm.limit, inFlight: this.active, queued: this.queue.length, shed: this.shedCount };
  }

  /**
   * Admits the request now, or sheds it (returns `undefined`, counted as shed): never queues. For
   * callers that cannot wait.
   */
  tryAcquire(priority: AdmissionPriority = 'default'): AdmissionRelease | undefined {
    if (this.admits(priority)) return this.admit();
    this.shed(priority, 'capacity');
    return undefined;
  }

  /**
   * Admits the request, at once or after a wait in the queue (`default` requests only); rejects
   * with a `LoadShedError` when it is shed, or with the signal's reason when `signal` aborts while
   * it waits (it then leaves the queue, and is not counted as shed).
   */
  acquire(priority: AdmissionPriority = 'default', signal?: AbortSignal): Promise<AdmissionRelease> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.admits(priority)) return Promise.resolve(this.admit());
    if (priority !== 'default' || this.queue.length >= this.maxQueue) return Promise.reject(this.shed(priority, 'capacity'));
    return new Promise<AdmissionRelease>((resolve, reject) => {
      const now = this.clock.now();
      let waiter: Waiter | undefined = undefined;
      const onAbort = signal === undefined ? noop : (): void => this.abandon(waiter!);
      waiter = new Waiter(now, resolve, reject, signal, onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.queue.length === 0) this.busySince = now;
      this.queue.push(waiter);
      this.arm(this.expiry(waiter));
    });
  }

  /** Whether a request of `priority` may start now without queueing. */
  private admits(priority: AdmissionPriority): boolean {
    if (priority === 'critical') return true;
    if (this.queue.length > 0) return false;
    const limit = this.algorithm.limit;
    return priority === 'default' ? this.active < limit : this.active < Math.floor(limit * this.sheddableShare);
  }

  private admit(): AdmissionRelease {
    this.active++;
    const startedAt = this.clock.now();
    let released = false;
    return (outcome: AdmissionOutcome = 'success') => {
      if (released) return;
      released = true;
      this.complete(startedAt, outcome);
    };
  }

  private complete(startedAt: number, outcome: AdmissionOutcome): void {
    if (outcome !== 'ignored') {
      const now = this.clock.now();
      this.algorithm.onSample(now - startedAt, this.active, outcome === 'dropped', now);
    }
    this.active--;
    if (this.queue.length > 0) this.drain();
  }

  /**
   * When `waiter` is shed if still waiting: after `queueInterval` at most, after `queueTarget` once
   * the queue has stood for `queueInterval`.
   */
  private expiry(waiter: Waiter): number {
    const longest = waiter.enqueuedAt + this.queueInterval;
    const standing = this.busySince + this.queueInterval;
    const target = waiter.enqueuedAt + this.queueTarget;
    const overloadedAt = standing > target ? standing : target;
    return overloadedAt < longest ? overloadedAt : longest;
  }

  /** Sheds waiters past their expiry (oldest first), admits the next while there is room, re-arms the timer. */
  private drain(): void {
    const queue = this.queue;
    const now = this.clock.now();
    for (let waiter = queue.peek(); waiter !== undefined; waiter = queue.peek()) {
      if (now >= this.expiry(waiter)) {
        queue.shift();
        this.settle(waiter);
        waiter.reject(this.shed('default', 'queue-timeout'));
        continue;
      }
      if (this.active >= this.algorithm.limit) break;
      queue.shift();
      this.settle(waiter);
      waiter.resolve(this.admit());
    }
    const head = queue.peek();
    if (head === undefined) {
      this.busySince = NaN;
      this.disarm();
    } else {
      this.arm(this.expiry(head));
    }
  }

  /** A waiter's signal aborted: out of the queue, rejected with the signal's reason. */
  private abandon(waiter: Waiter): void {
    if (!this.queue.remove(waiter)) return;
    waiter.reject(waiter.signal!.reason);
    if (this.queue.length === 0) {
      this.busySince = NaN;
      this.disarm();
    }
  }

  private settle(waiter: Waiter): void {
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  private shed(priority: AdmissionPriority, reason: LoadShedReason): LoadShedError {
    this.shedCount++;
    if (this.shedEmitter.hasListeners) this.shedEmitter.emit({ name: this.name, priority, reason });
    return createWithoutStack(() => new LoadShedError(this.name, reason, this.retryAfterMs));
  }

  /** Makes sure the timer fires by `at` (a timer due earlier stays: it re-arms when it fires). */
  private arm(at: number): void {
    if (this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    const timer = this.clock.setTimeout(this.onTimer, at - this.clock.now());
    timer.unref();
    this.timer = timer;
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

function noop(): void {}
