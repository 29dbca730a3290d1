import type { CircuitBreakerStateChange, Disposable } from '@bulwark/core';
import { CircuitBreakerRegistry } from '@bulwark/nestjs';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { STOREFRONT_OPTIONS, type StorefrontOptions } from './storefront.options.js';

/**
 * Logs every breaker transition as it happens. Subscribes at bootstrap, when every configured
 * breaker exists. An open -> half-open change happens on the first call after `recoveryTimeout`
 * (reading a breaker never moves it), so it is logged then.
 */
@Injectable()
export class BreakerTransitionLogger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('CircuitBreaker');
  private subscriptions: Disposable[] = [];

  constructor(
    private readonly breakers: CircuitBreakerRegistry,
    @Inject(STOREFRONT_OPTIONS) private readonly options: StorefrontOptions,
  ) {}

  onApplicationBootstrap(): void {
    for (const breaker of this.breakers.list()) {
      this.subscriptions.push(breaker.onStateChange((change) => this.report(change)));
    }
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.subscriptions = [];
  }

  private report(change: CircuitBreakerStateChange): void {
    const message = `${change.name}: ${change.from} -> ${change.to} (${change.reason ?? 'unknown'})`;
    if (change.to === 'open' || change.to === 'forced-open') this.logger.warn(message);
    else this.logger.log(message);
    this.options.onBreakerStateChange?.(change);
  }
}
