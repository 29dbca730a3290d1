import type { CircuitBreakerStateChange, Disposable } from '@bulwark/core';
import { CircuitBreakerRegistry } from '@bulwark/nestjs';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { STOREFRONT_OPTIONS, type StorefrontOptions } from './storefront.options.js';

/**
 * Hands every breaker transition to `onBreakerStateChange` (the demo's timeline, the cluster
 * replicas' reports). It writes no log line: `ResilienceModule` already logs each transition once,
 * with its reason and how long the breaker was open. Subscribes at bootstrap, when every configured
 * breaker exists.
 */
@Injectable()
export class BreakerStateRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriptions: Disposable[] = [];

  constructor(
    private readonly breakers: CircuitBreakerRegistry,
    @Inject(STOREFRONT_OPTIONS) private readonly options: StorefrontOptions,
  ) {}

  onApplicationBootstrap(): void {
    const listener = this.options.onBreakerStateChange;
    if (listener === undefined) return;
    for (const breaker of this.breakers.list()) {
      this.subscriptions.push(breaker.onStateChange((change: CircuitBreakerStateChange) => listener(change)));
    }
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.subscriptions = [];
  }
}
