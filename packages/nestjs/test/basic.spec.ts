import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, Fallback, ResilienceModule, Retry, Timeout, currentSignal } from '@bulwark/nestjs';

@Injectable()
class PricingClient {
  calls = 0;
  fail = false;
  @Fallback('cachedPrice')
  @Retry({ maxRetries: 1, baseDelay: 0 })
  @CircuitBreaker('pricing')
  @Timeout('internal')
  async price(sku: string): Promise<number> {
    this.calls++;
    if (!(currentSignal() instanceof AbortSignal)) throw new Error('no signal');
    if (this.fail) throw new Error('down');
    return sku.length;
  }
  cachedPrice(sku: string, error: unknown): number {
    return -sku.length - (error instanceof Error ? 0 : 1000);
  }
}

@Controller('products')
class ProductsController {
  constructor(private readonly pricing: PricingClient) {}
  @Get(':sku')
  async get(@Param('sku') sku: string) {
    return { price: await this.pricing.price(sku) };
  }
}

@Module({
  imports: [ResilienceModule.forRoot({ circuitBreakers: { pricing: { failureThreshold: 2 } }, clock: new FakeClock(1_000_000) })],
  controllers: [ProductsController],
  providers: [PricingClient],
})
class AppModule {}

describe('basic', () => {
  it('works end to end', async () => {
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = ref.createNestApplication();
    await app.init();
    const server = app.getHttpServer();
    await request(server).get('/products/abc').expect(200, { price: 3 });
    const client = app.get(PricingClient);
    client.fail = true;
    await request(server).get('/products/abc').expect(200, { price: -3 });
    const health = await request(server).get('/health/resilience').expect(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.circuitBreakers.pricing.state).toBe('open');
    expect(app.get(CircuitBreakerRegistry).get('pricing')!.state).toBe('open');
    await request(server).get('/health/resilience/pricing').expect(200);
    await request(server).get('/health/resilience/nope').expect(404);
    await app.close();
  });
});
