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
  Bulkhead,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  Deadline,
  Fallback,
  Priority,
  ResilienceModule,
  Retry,
  Timeout,
  currentSignal,
} from '@bulwark/nestjs';
import { CircuitBreakerPolicy } from '@bulwark/core';
import { Observable, firstValueFrom } from 'rxjs';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { resilientFetch } from '@bulwark/http';
import { resilientAxiosAdapter } from '@bulwark/http/axios';
import { ResilientHttpModule } from '@bulwark/http/nestjs';
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

// @bulwark/http, its three forms: a resilient HttpService in a feature module (ResilientHttpModule),
// resilientFetch, and axios with the adapter. Written as users write @nestjs/axios code.
class InventoryController {
  constructor(http) {
    this.http = http;
  }

  get(sku) {
    return firstValueFrom(this.http.get(`/stock/${encodeURIComponent(sku)}`)).then((response) => response.data);
  }
}
decorateClass(InventoryController, [Controller('inventory'), param(0, Inject(HttpService))]);
decorateMethod(InventoryController, 'get', [Get(':sku'), param(0, Param('sku')), Deadline(2_000)]);

class InventoryModule {}
decorateClass(InventoryModule, [
  Module({
    imports: [ResilientHttpModule.registerAsync({ useFactory: () => ({ name: 'inventory', axios: { baseURL: downstream.baseUrl }, retry: { baseDelay: 1 } }) })],
    controllers: [InventoryController],
  }),
]);
const httpClients = {
  fetch: resilientFetch({ name: 'stock-fetch', retry: { baseDelay: 1 } }),
  axios: axios.create({ adapter: resilientAxiosAdapter({ name: 'stock-axios', retry: { baseDelay: 1 } }) }),
};

// An adaptive bulkhead on a controller method (its limit learnt from latency), shown in health.
class ReportsController {
  get(id) {
    return Promise.resolve({ id, rows: 3 });
  }
}
decorateClass(ReportsController, [Controller('reports')]);
decorateMethod(ReportsController, 'get', [Get(':id'), param(0, Param('id')), Bulkhead({ adaptive: true })]);

// A second application with load shedding at a limit of one request in flight: `/shed/hold` holds
// its place until the check releases it; `/shed/work` is then shed, `/shed/urgent` (critical) is not.
const held = { entered: 0, release: () => undefined };
class SheddingController {
  hold() {
    held.entered++;
    return new Promise((resolve) => {
      held.release = () => resolve({ held: true });
    });
  }

  work() {
    return { worked: true };
  }

  urgent() {
    return { urgent: true };
  }
}
decorateClass(SheddingController, [Controller('shed')]);
decorateMethod(SheddingController, 'hold', [Get('hold')]);
decorateMethod(SheddingController, 'work', [Get('work')]);
decorateMethod(SheddingController, 'urgent', [Get('urgent'), Priority('critical')]);

class SheddingAppModule {}
decorateClass(SheddingAppModule, [
  Module({
    imports: [ResilienceModule.forRoot({ loadShedding: { limit: { initialLimit: 1, minLimit: 1, maxLimit: 1 }, maxQueue: 0 } })],
    controllers: [SheddingController],
  }),
]);

class AppModule {}
decorateClass(AppModule, [
  Module({
    imports: [ResilienceModule.forRoot({ live: true, strict: true, circuitBreakers: { pricing: { failureThreshold: 2, critical: true } } }), StocksModule, InventoryModule],
    controllers: [PricesController, ReportsController],
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
  http: httpClients,
  shedding: { AppModule: SheddingAppModule, held },
});
