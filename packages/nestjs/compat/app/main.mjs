// Bulwark compatibility app, ES module flavour. Copied as `main.js` into a throwaway app whose
// package.json says "type": "module", next to the packed @bulwark tarballs and one Nest major.
//
// Plain JavaScript, written from the public contract as a user would: JS has no decorator syntax,
// so decorators are applied by hand with Reflect.decorate (what TypeScript's __decorate does).
// The downstream and the checks are shared with the CommonJS app (checks.cjs).
import 'reflect-metadata'; // first: Nest and Bulwark read and write Reflect metadata at load time
import { Controller, Get, Inject, Injectable, Module, Param, Scope } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  Fallback,
  ResilienceModule,
  Retry,
  Timeout,
  currentSignal,
} from '@bulwark/nestjs';
import { CircuitBreakerPolicy } from '@bulwark/core';
import { Observable } from 'rxjs';
import { redisStore } from '@bulwark/redis';
import { Redis } from 'ioredis';
import checks from './checks.cjs';

const { decorateClass, decorateMethod, param, runApp, startDownstream, startWatchdog } = checks;
startWatchdog();
const downstream = await startDownstream();

const PRICING_CONFIG = 'PRICING_CONFIG';
let signalSeen;

class PricingClient {
  constructor(config) {
    this.config = config;
  }

  async price(sku) {
    signalSeen = currentSignal();
    const response = await fetch(`${this.config.baseUrl}/price/${encodeURIComponent(sku)}`, { signal: currentSignal() });
    if (!response.ok) throw new Error(`pricing answered ${response.status}`);
    return response.json();
  }

  cachedPrice(sku, error) {
    return { sku, price: null, stale: true, reason: error instanceof CircuitOpenError ? 'circuit-open' : 'downstream-error' };
  }
}
decorateClass(PricingClient, [Injectable(), param(0, Inject(PRICING_CONFIG))]);
// Written in a scrambled order on purpose: the contract fixes Fallback > Retry > Breaker > Timeout.
decorateMethod(PricingClient, 'price', [
  CircuitBreaker('pricing'),
  Retry({ maxRetries: 1, baseDelay: 1 }),
  Timeout(1000),
  Fallback('cachedPrice'),
]);

class PricesController {
  constructor(pricing) {
    this.pricing = pricing;
  }

  get(sku) {
    return this.pricing.price(sku);
  }
}
decorateClass(PricesController, [Controller('prices'), param(0, Inject(PricingClient))]);
decorateMethod(PricesController, 'get', [Get(':sku'), param(0, Param('sku'))]);

// An Observable handler with no return-type metadata (plain JavaScript has none): it must stay an
// Observable, retried per subscription. Its first subscription fails. The controller is
// request-scoped (its instances find their application's policies through Nest's injection) and
// lives in a feature module declaring its retry policy with ResilienceModule.forFeature.
let stockSubscriptions = 0;
class StocksController {
  get(sku) {
    return new Observable((subscriber) => {
      stockSubscriptions++;
      if (stockSubscriptions === 1) return subscriber.error(new Error('stock service hiccup'));
      subscriber.next({ sku, stock: 7 });
      subscriber.complete();
    });
  }
}
decorateClass(StocksController, [Controller({ path: 'stocks', scope: Scope.REQUEST })]);
decorateMethod(StocksController, 'get', [Get(':sku'), param(0, Param('sku')), Retry('stock')]);

class StocksModule {}
decorateClass(StocksModule, [
  Module({ imports: [ResilienceModule.forFeature({ retries: { stock: { maxRetries: 1, baseDelay: 1 } } })], controllers: [StocksController] }),
]);

class AppModule {}
decorateClass(AppModule, [
  Module({
    imports: [ResilienceModule.forRoot({ live: true, strict: true, circuitBreakers: { pricing: { failureThreshold: 2, critical: true } } }), StocksModule],
    controllers: [PricesController],
    providers: [PricingClient, { provide: PRICING_CONFIG, useValue: { baseUrl: downstream.baseUrl } }],
  }),
]);

await runApp({
  NestFactory,
  AppModule,
  downstream,
  signalSeen: () => signalSeen,
  breakerState: (app) => app.get(CircuitBreakerRegistry).get('pricing')?.state,
  stockSubscriptions: () => stockSubscriptions,
  redis: { redisStore, Redis, CircuitBreakerPolicy },
});
