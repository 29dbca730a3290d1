import type { CircuitBreakerPolicy, Disposable } from '@bulwark/core';
import { CircuitBreakerRegistry } from '@bulwark/nestjs';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { STOREFRONT_OPTIONS, type StorefrontOptions } from './storefront.options.js';

/**
 * Hands every breaker transition to `onBreakerStateChange` (the demo's timeline, the cluster
 * replicas' reports). It writes no log line: `ResilienceModule` already logs each transition once,
 * with its reason and how long the breaker was open. The dependencies' breakers are per-origin
 * families of their HTTP clients, created by each origin's first call, so it follows breakers as
 * they come and go rather than listing them once.
 */
@Injectable()
export class BreakerStateRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly subscriptions = new Map<CircuitBreakerPolicy, Disposable>();
  private observation: Disposable | undefined;

  constructor(
    private readonly breakers: CircuitBreakerRegistry,
    @Inject(STOREFRONT_OPTIONS) private readonly options: StorefrontOptions,
  ) {}

  onApplicationBootstrap(): void {
    const listener = this.options.onBreakerStateChange;
    if (listener === undefined) return;
    this.observation = this.breakers.observeBreakers(
      (breaker) => this.subscriptions.set(breaker, breaker.onStateChange(listener)),
      (breaker) => this.unsubscribe(breaker),
    );
  }

  onModuleDestroy(): void {
    this.observation?.dispose();
    this.observation = undefined;
    for (const breaker of [...this.subscriptions.keys()]) this.unsubscribe(breaker);
  }

  private unsubscribe(breaker: CircuitBreakerPolicy): void {
    this.subscriptions.get(breaker)?.dispose();
    this.subscriptions.delete(breaker);
  }
}
