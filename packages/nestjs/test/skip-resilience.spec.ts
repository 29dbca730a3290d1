import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, ResilienceModule, Retry, RetryRegistry, SkipResilience } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1);

@Injectable()
@CircuitBreaker({ failureThreshold: 1 })
class Inventory {
  calls: Record<string, number> = {};

  async reserve(): Promise<string> {
    return this.fail('reserve');
  }

  @SkipResilience()
  async audit(): Promise<string> {
    return this.fail('audit');
  }

  @SkipResilience()
  @Retry({ maxRetries: 2, baseDelay: 0 })
  async sync(): Promise<string> {
    return this.fail('sync');
  }

  @Retry({ maxRetries: 1, baseDelay: 0 })
  @SkipResilience()
  async restock(): Promise<string> {
    return this.fail('restock');
  }

  protected fail(method: string): Promise<string> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    return Promise.reject(new Error(`${method} failed`));
  }
}

@Injectable()
class Pricing {
  calls = 0;
  @CircuitBreaker({ name: 'pricing', failureThreshold: 1 })
  async price(): Promise<number> {
    this.calls++;
    throw new Error('pricing down');
  }

  @CircuitBreaker({ name: 'quote', failureThreshold: 1 })
  async quote(): Promise<number> {
    this.calls++;
    throw new Error('quote down');
  }
}

/** Overrides one method to run without the base class's breaker. */
@Injectable()
class UnprotectedPrice extends Pricing {
  @SkipResilience()
  override async price(): Promise<number> {
    return super.price();
  }
}

/** Runs every inherited method as written; what it decorates itself keeps its policy. */
@Injectable()
@SkipResilience()
class RawPricing extends Pricing {
  override async quote(): Promise<number> {
    return super.quote();
  }

  @Retry({ name: 'raw-discount', maxRetries: 1, baseDelay: 0 })
  async discount(): Promise<number> {
    this.calls++;
    throw new Error('discount down');
  }
}

let moduleRef: TestingModule | undefined;
let app: INestApplication | undefined;
afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  await app?.close();
  app = undefined;
});

async function boot(...providers: (new (...args: never[]) => unknown)[]): Promise<TestingModule> {
  moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })], providers }).compile();
  await moduleRef.init();
  return moduleRef;
}

async function attempts(call: () => Promise<unknown>, times: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < times; i++) outcomes.push(await call().then(String, (error: Error) => error.message));
  return outcomes;
}

describe('@SkipResilience() on a method', () => {
  it('keeps the class-level decorators off it', async () => {
    const inventory = (await boot(Inventory)).get(Inventory);
    expect(await attempts(() => inventory.reserve(), 2)).toEqual(['reserve failed', 'Circuit breaker "Inventory.reserve" is open']);
    expect(await attempts(() => inventory.audit(), 3)).toEqual(['audit failed', 'audit failed', 'audit failed']);
    expect(inventory.calls).toEqual({ reserve: 1, audit: 3 });
    expect(moduleRef!.get(CircuitBreakerRegistry).names()).toEqual(['Inventory.reserve']);
  });

  it('keeps the decorators written on the method itself, in either order', async () => {
    const inventory = (await boot(Inventory)).get(Inventory);
    expect(await attempts(() => inventory.sync(), 2)).toEqual(['sync failed', 'sync failed']);
    expect(await attempts(() => inventory.restock(), 2)).toEqual(['restock failed', 'restock failed']);
    // Retried (3 and 2 attempts per call), never stopped by a breaker.
    expect(inventory.calls).toEqual({ sync: 6, restock: 4 });
    expect(moduleRef!.get(RetryRegistry).names().sort()).toEqual(['Inventory.restock', 'Inventory.sync']);
    expect(moduleRef!.get(CircuitBreakerRegistry).names()).toEqual(['Inventory.reserve']);
  });

  it('on an override, drops the policies of the base-class method (through super too)', async () => {
    const pricing = (await boot(UnprotectedPrice)).get(UnprotectedPrice);
    expect(await attempts(() => pricing.price(), 3)).toEqual(['pricing down', 'pricing down', 'pricing down']);
    expect(await attempts(() => pricing.quote(), 2)).toEqual(['quote down', 'Circuit breaker "quote" is open']);
    expect(moduleRef!.get(CircuitBreakerRegistry).names()).toEqual(['quote']);
  });

  it('rejects what is not a method', () => {
    expect(() => {
      class Holder {
        @SkipResilience()
        get value(): number {
          return 1;
        }
      }
      return Holder;
    }).toThrow('@SkipResilience() on Holder.value: only methods and classes can be marked');
  });
});

describe('@SkipResilience() on a class', () => {
  it('runs the methods it inherits from decorated base classes as written, and keeps its own decorators', async () => {
    const pricing = (await boot(RawPricing)).get(RawPricing);
    expect(await attempts(() => pricing.price(), 2)).toEqual(['pricing down', 'pricing down']);
    expect(await attempts(() => pricing.quote(), 2)).toEqual(['quote down', 'quote down']);
    expect(pricing.calls).toBe(4);
    expect(await attempts(() => pricing.discount(), 1)).toEqual(['discount down']);
    expect(pricing.calls).toBe(6);
    expect(moduleRef!.get(CircuitBreakerRegistry).names()).toEqual([]);
    expect(moduleRef!.get(RetryRegistry).names()).toEqual(['raw-discount']);
  });

  it('contradicts a class-level policy decorator on the same class, in either order', () => {
    expect(() => {
      @SkipResilience()
      @CircuitBreaker()
      class Both {}
      return Both;
    }).toThrow('@SkipResilience() on class Both, which also has @CircuitBreaker: remove one of them');
    expect(() => {
      @Retry()
      @SkipResilience()
      class Both {}
      return Both;
    }).toThrow('@Retry on class Both, which is marked @SkipResilience(): remove one of them');
  });
});

@Controller('stock')
@CircuitBreaker({ failureThreshold: 1 })
class StockController {
  @Get('reserve')
  async reserve(): Promise<string> {
    throw new Error('reserve failed');
  }

  @SkipResilience()
  @Get('ping')
  async ping(): Promise<string> {
    return 'pong';
  }
}

describe.each(PLATFORMS)('%s: @SkipResilience() on a route handler', (platform: Platform) => {
  it('keeps the route, outside the controller’s class-level breaker', async () => {
    app = await bootApp(platform, { imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })], controllers: [StockController] });
    const server = app.getHttpServer();
    await request(server).get('/stock/reserve').expect(500);
    await request(server).get('/stock/reserve').expect(503);
    await request(server).get('/stock/ping').expect(200).expect('pong');
    expect(app.get(CircuitBreakerRegistry).names()).toEqual(['StockController.reserve']);
  });
});
