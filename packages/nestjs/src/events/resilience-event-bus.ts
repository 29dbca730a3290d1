import { EventEmitter, systemClock, wallTime, type CircuitBreakerPolicy, type Disposable, type Event, type FallbackPolicy } from '@bulwark/core';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InboundAdmission } from '../load-shedding/inbound-admission.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { BulkheadRegistry } from '../registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import { RetryRegistry } from '../registries/retry.registry.js';
import { TimeoutRegistry } from '../registries/timeout.registry.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResilienceEvent } from './resilience-event.interface.js';

/** How many events a new observer is replayed. */
export const RECENT_EVENTS = 100;

/**
 * Every policy event of the application, in one stream: state changes, rejected calls, retries,
 * timeouts, bulkhead rejections, fallbacks (registered through `observeFallback`) and requests
 * shed by load shedding. It follows policies created later too (decorated methods,
 * `registry.create`). Only rare events are followed: nothing is allocated on a call's success path
 * (which is why an adaptive limit's changes, which may follow any call, are not events: health,
 * metrics and the dashboard's data show the limit).
 */
@Injectable()
export class ResilienceEventBus implements OnModuleDestroy {
  private readonly emitter = new EventEmitter<ResilienceEvent>();
  private readonly recentEvents: ResilienceEvent[] = [];
  private readonly subscriptions: Disposable[] = [];
  private readonly keyedSubscriptions = new Map<CircuitBreakerPolicy, Disposable[]>();
  private readonly iso: (at: number) => string;
  private readonly now: () => number;

  /** Subscribes to every event from now on. */
  readonly onEvent: Event<ResilienceEvent> = this.emitter.event;

  constructor(
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    circuitBreakers: CircuitBreakerRegistry,
    retries: RetryRegistry,
    timeouts: TimeoutRegistry,
    bulkheads: BulkheadRegistry,
    admission: InboundAdmission,
  ) {
    const clock = options.clock;
    const time = clock ?? systemClock;
    // Events carry readings of the policies' (monotonic) clock: shown as wall-clock times.
    this.iso = (at) => new Date(wallTime(time, at) ?? 0).toISOString();
    this.now = () => time.now();
    this.follow(circuitBreakers, (breaker) => this.observeBreaker(breaker));
    this.followKeyed(circuitBreakers);
    this.follow(retries, (retry) => [
      retry.onRetry(({ name, attempt, delay, error }) =>
        this.publish(
          error === undefined
            ? { type: 'retry', name, attempt, delay, at: this.at() }
            : { type: 'retry', name, attempt, delay, error: errorName(error), at: this.at() },
        ),
      ),
    ]);
    this.follow(timeouts, (timeout) => [timeout.onTimeout(({ name, duration, at }) => this.publish({ type: 'timeout', name, duration, at: this.iso(at) }))]);
    this.follow(bulkheads, (bulkhead) => [bulkhead.onRejected(({ name }) => this.publish({ type: 'bulkhead-rejected', name, at: this.at() }))]);
    const controller = admission.controller;
    if (controller !== undefined) {
      this.subscriptions.push(controller.onShed(({ name, priority, reason }) => this.publish({ type: 'load-shed', name, priority, reason, at: this.at() })));
    }
  }

  /** A breaker's state changes and rejections; a per-key breaker's events carry its key. */
  private observeBreaker(breaker: CircuitBreakerPolicy): Disposable[] {
    const key = breaker.key;
    if (key === undefined) {
      return [
        breaker.onStateChange(({ name, from, to, reason, at }) =>
          this.publish(reason === undefined ? { type: 'state-change', name, from, to, at: this.iso(at) } : { type: 'state-change', name, from, to, reason, at: this.iso(at) }),
        ),
        breaker.onRejected(({ name, state, retryAfterMs, at }) =>
          this.publish({ type: 'call-rejected', name, state, retryAfterMs: Number.isFinite(retryAfterMs) ? retryAfterMs : null, at: this.iso(at) }),
        ),
      ];
    }
    return [
      breaker.onStateChange(({ name, from, to, reason, at }) =>
        this.publish(
          reason === undefined ? { type: 'state-change', name, key, from, to, at: this.iso(at) } : { type: 'state-change', name, key, from, to, reason, at: this.iso(at) },
        ),
      ),
      breaker.onRejected(({ name, state, retryAfterMs, at }) =>
        this.publish({ type: 'call-rejected', name, key, state, retryAfterMs: Number.isFinite(retryAfterMs) ? retryAfterMs : null, at: this.iso(at) }),
      ),
    ];
  }

  /**
   * Per-key breakers come and go (evicted keys): each one's subscriptions are kept apart and
   * disposed when it leaves its family, so key churn never accumulates listeners here.
   */
  private followKeyed(circuitBreakers: CircuitBreakerRegistry): void {
    const keyed = this.keyedSubscriptions;
    const add = (breaker: CircuitBreakerPolicy): void => {
      if (!keyed.has(breaker)) keyed.set(breaker, this.observeBreaker(breaker));
    };
    for (const breaker of circuitBreakers.keyedBreakers()) add(breaker);
    this.subscriptions.push(
      circuitBreakers.onKeyedCreated(add),
      circuitBreakers.onKeyedRemoved((breaker) => {
        for (const subscription of keyed.get(breaker) ?? []) subscription.dispose();
        keyed.delete(breaker);
      }),
    );
  }

  /** The last events (at most 100), oldest first. */
  recent(): readonly ResilienceEvent[] {
    return [...this.recentEvents];
  }

  /** Follows a fallback policy (they belong to methods, not to a registry). */
  observeFallback(fallback: FallbackPolicy): void {
    this.subscriptions.push(
      fallback.onFallback(({ name, source, reason }) => this.publish({ type: 'fallback', name, source, reason, at: this.at() })),
    );
  }

  publish(event: ResilienceEvent): void {
    this.recentEvents.push(event);
    if (this.recentEvents.length > RECENT_EVENTS) this.recentEvents.shift();
    this.emitter.emit(event);
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    for (const subscriptions of this.keyedSubscriptions.values()) for (const subscription of subscriptions) subscription.dispose();
    this.keyedSubscriptions.clear();
  }

  private follow<P>(registry: { list(): P[]; onCreated: Event<P> }, subscribe: (policy: P) => Disposable[]): void {
    for (const policy of registry.list()) this.subscriptions.push(...subscribe(policy));
    this.subscriptions.push(registry.onCreated((policy) => this.subscriptions.push(...subscribe(policy))));
  }

  private at(): string {
    return this.iso(this.now());
  }
}

/** The error's class name only: messages may carry secrets or user data. */
function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}
