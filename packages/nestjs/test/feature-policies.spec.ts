import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import {
  Bulkhead,
  BulkheadRegistry,
  CircuitBreaker,
  CircuitBreakerRegistry,
  InvalidOptionsError,
  RESILIENCE_OPTIONS,
  ResilienceModule,
  Retry,
  RetryRegistry,
  Timeout,
  TimeoutRegistry,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { bootApp } from './support/app.js';

const START = Date.UTC(2030, 0, 1);

@Injectable()
class OrdersClient {
  calls = 0;
  @Retry('orders')
  @CircuitBreaker({ name: 'orders', failureThreshold: 10, recoveryTimeout: 7_000 })
  @Timeout('orders-call')
  @Bulkhead('orders')
  async place(): Promise<string> {
    this.calls++;
    throw new Error('orders down');
  }
}

const ORDERS_POLICIES = {
  circuitBreakers: { orders: { failureThreshold: 2 } },
  retries: { orders: { maxRetries: 1, baseDelay: 0 } },
  timeouts: { 'orders-call': 1_500 },
  bulkheads: { orders: { maxConcurrent: 3, maxQueue: 1 } },
};

@Module({ imports: [ResilienceModule.forFeature(ORDERS_POLICIES)], providers: [OrdersClient] })
class OrdersModule {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(resilience: DynamicModule, ...modules: unknown[]): Promise<INestApplication> {
  app = await bootApp('express', { imports: [resilience, ...(modules as never[])] });
  return app;
}

async function startupError(resilience: DynamicModule, ...modules: unknown[]): Promise<Error> {
  const moduleRef = await Test.createTestingModule({ imports: [resilience, ...(modules as never[])] })
    .compile()
    .catch((error: unknown) => error as Error);
  if (moduleRef instanceof Error) return moduleRef;
  await moduleRef.close();
  throw new Error('start-up succeeded');
}

describe('ResilienceModule.forFeature', () => {
  it('adds a feature module’s named policies to the application’s, configured from start-up and good for strict mode', async () => {
    await boot(ResilienceModule.forRoot({ strict: true, clock: new FakeClock(START) }), OrdersModule);
    const breaker = app!.get(CircuitBreakerRegistry).get('orders')!;
    // The module's options win over the decorator's inline ones, field by field.
    expect(breaker.options).toMatchObject({ failureThreshold: 2, recoveryTimeout: 7_000 });
    expect(app!.get(RetryRegistry).get('orders')!.maxRetries).toBe(1);
    expect(app!.get(TimeoutRegistry).get('orders-call')!.duration).toBe(1_500);
    expect(app!.get(BulkheadRegistry).get('orders')!).toMatchObject({ maxConcurrent: 3, maxQueue: 1 });
    expect(app!.get<ResilienceModuleOptions>(RESILIENCE_OPTIONS).circuitBreakers).toEqual({ orders: { failureThreshold: 2 } });
    const health = await request(app!.getHttpServer()).get('/health/resilience').expect(200);
    expect(health.body.circuitBreakers.orders.state).toBe('closed');

    const orders = app!.get(OrdersClient);
    await expect(orders.place()).rejects.toThrow('orders down');
    expect(orders.calls).toBe(2);
    expect(breaker.state).toBe('open');
  });

  it('merges with forRoot’s policies and with other feature modules’, the same options given twice being one policy', async () => {
    @Module({ imports: [ResilienceModule.forFeature({ circuitBreakers: { orders: { failureThreshold: 2 } }, retries: { billing: { maxRetries: 0 } } })] })
    class BillingModule {}
    await boot(
      ResilienceModule.forRoot({ clock: new FakeClock(START), circuitBreakers: { pricing: {}, orders: { failureThreshold: 2 } } }),
      OrdersModule,
      BillingModule,
    );
    expect(app!.get(CircuitBreakerRegistry).names().sort()).toEqual(['orders', 'pricing']);
    expect(app!.get(RetryRegistry).names().sort()).toEqual(['billing', 'orders']);
  });

  it('fails start-up when forRoot configures one of its names differently, naming both', async () => {
    const error = await startupError(ResilienceModule.forRoot({ circuitBreakers: { orders: { failureThreshold: 5 } } }), OrdersModule);
    expect(error.message).toBe(
      'circuitBreakers.orders is configured differently by ResilienceModule.forRoot and ResilienceModule.forFeature in OrdersModule; ' +
        'configure it once and refer to it by name.',
    );
  });

  it('fails start-up when two feature modules configure one name differently, naming both', async () => {
    @Module({ imports: [ResilienceModule.forFeature({ timeouts: { 'orders-call': 900 } })] })
    class ShippingModule {}
    const error = await startupError(ResilienceModule.forRoot(), OrdersModule, ShippingModule);
    expect(error.message).toBe(
      'timeouts.orders-call is configured differently by ResilienceModule.forFeature in OrdersModule and ResilienceModule.forFeature in ShippingModule; ' +
        'configure it once and refer to it by name.',
    );
  });

  it('works with forRootAsync', async () => {
    await boot(ResilienceModule.forRootAsync({ useFactory: () => ({ strict: true, clock: new FakeClock(START) }) }), OrdersModule);
    expect(app!.get(CircuitBreakerRegistry).get('orders')!.options.failureThreshold).toBe(2);
    const error = await startupError(
      ResilienceModule.forRootAsync({ useFactory: () => ({ retries: { orders: { maxRetries: 4 } } }) }),
      OrdersModule,
    );
    expect(error.message).toBe(
      'retries.orders is configured differently by the ResilienceModule.forRootAsync factory and ResilienceModule.forFeature in OrdersModule; ' +
        'configure it once and refer to it by name.',
    );
  });

  it.each<[string, object, string]>([
    ['an invalid value', { circuitBreakers: { orders: { failureThreshold: -1 } } }, 'circuitBreakers.orders.failureThreshold must be a positive integer (got -1)'],
    ['an unknown key', { strict: true }, 'strict is not a ResilienceModule.forFeature option (known: circuitBreakers, retries, timeouts, bulkheads) (got true)'],
  ])('fails start-up on %s, with the field named', async (_, policies, message) => {
    @Module({ imports: [ResilienceModule.forFeature(policies as never)] })
    class BadModule {}
    const error = await startupError(ResilienceModule.forRoot(), BadModule);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toBe(message);
  });
});
