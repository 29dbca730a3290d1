import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, Scope, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, Fallback, ResilienceModule, Retry } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1);

@Injectable()
class Pricing {
  fail = false;
  calls = 0;
  @CircuitBreaker('pricing')
  async price(): Promise<number> {
    this.calls++;
    if (this.fail) throw new Error('pricing down');
    return 42;
  }
}

@Controller('price')
class PriceController {
  constructor(private readonly pricing: Pricing) {}
  @Get()
  async get(): Promise<{ price: number }> {
    return { price: await this.pricing.price() };
  }
}

@Module({
  imports: [ResilienceModule.forRoot({ clock: new FakeClock(START), circuitBreakers: { pricing: { failureThreshold: 2 } } })],
  controllers: [PriceController],
  providers: [Pricing],
})
class AppModule {}

@Injectable({ scope: Scope.TRANSIENT })
class TransientClient {
  calls = 0;
  @Fallback({ fn: () => 'fallback' })
  @Retry({ maxRetries: 2, baseDelay: 0 })
  @CircuitBreaker({ name: 'transient', failureThreshold: 5 })
  async call(): Promise<string> {
    this.calls++;
    throw new Error('down');
  }
}

@Injectable()
class Consumer {
  constructor(readonly client: TransientClient) {}
}

@Module({
  imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
  providers: [TransientClient, Consumer],
})
class TransientModule {}

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function boot(platform: Platform, module: object): Promise<INestApplication> {
  const app = await bootApp(platform, { imports: [module as never] });
  apps.push(app);
  return app;
}

describe('two applications in one process', () => {
  it.each<[Platform, Platform]>([
    ['express', 'express'],
    ['fastify', 'fastify'],
    ['express', 'fastify'],
  ])('%s + %s: opening a breaker in one leaves the other closed', async (firstPlatform, secondPlatform) => {
    const first = await boot(firstPlatform, AppModule);
    const second = await boot(secondPlatform, AppModule);
    expect(first.get(Pricing)).not.toBe(second.get(Pricing));
    first.get(Pricing).fail = true;
    await request(first.getHttpServer()).get('/price').expect(500);
    await request(first.getHttpServer()).get('/price').expect(500);
    await request(first.getHttpServer()).get('/price').expect(503).expect('Retry-After', '30');

    expect(first.get(CircuitBreakerRegistry).get('pricing')!.state).toBe('open');
    expect(second.get(CircuitBreakerRegistry).get('pricing')!.state).toBe('closed');
    await request(second.getHttpServer()).get('/price').expect(200, { price: 42 });
    expect((await request(first.getHttpServer()).get('/health/resilience').expect(200)).body.status).toBe('degraded');
    expect((await request(second.getHttpServer()).get('/health/resilience').expect(200)).body.status).toBe('up');
    expect([first.get(Pricing).calls, second.get(Pricing).calls]).toEqual([2, 1]);
  });

  it.each(PLATFORMS)('%s: closing one application leaves the other working', async (platform) => {
    const first = await boot(platform, AppModule);
    const second = await boot(platform, AppModule);
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    second.get(Pricing).fail = true;
    await request(second.getHttpServer()).get('/price').expect(500);
    await request(second.getHttpServer()).get('/price').expect(500);
    await request(second.getHttpServer()).get('/price').expect(503);
    expect(second.get(Pricing).calls).toBe(2);
  });

  it('transient instances use the policies of their own application', async () => {
    const first = await boot('express', TransientModule);
    const second = await boot('express', TransientModule);
    // The first application's instance is called after the second one booted.
    await expect(first.get(Consumer).client.call()).resolves.toBe('fallback');
    await expect(first.get(Consumer).client.call()).resolves.toBe('fallback');
    const firstBreaker = first.get(CircuitBreakerRegistry).get('transient')!;
    const secondBreaker = second.get(CircuitBreakerRegistry).get('transient')!;
    expect(first.get(Consumer).client.calls).toBe(5);
    expect(firstBreaker.state).toBe('open');
    expect(firstBreaker.snapshot().calls).toMatchObject({ failure: 5, notPermitted: 1 });
    expect(secondBreaker.state).toBe('closed');
    expect(secondBreaker.snapshot().calls).toMatchObject({ failure: 0, notPermitted: 0 });
  });
});
