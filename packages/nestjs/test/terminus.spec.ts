import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, ResilienceHealthIndicator, ResilienceModule } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1);

@Injectable()
class Clients {
  @CircuitBreaker('payments')
  async pay(): Promise<void> {
    throw new Error('payments down: secret-token-123');
  }
  @CircuitBreaker('recommendations')
  async recommend(): Promise<void> {
    throw new Error('recommendations down');
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly resilience: ResilienceHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.resilience.isHealthy('resilience')]);
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: ResilienceHealthIndicator with @nestjs/terminus', (platform: Platform) => {
  const boot = async () => {
    app = await bootApp(platform, {
      imports: [
        TerminusModule.forRoot({ logger: false }),
        ResilienceModule.forRoot({
          clock: new FakeClock(START),
          circuitBreakers: {
            payments: { failureThreshold: 1, critical: true },
            recommendations: { failureThreshold: 1 },
          },
        }),
      ],
      controllers: [HealthController],
      providers: [Clients],
    });
    return { server: app.getHttpServer(), clients: app.get(Clients) };
  };

  it('/health includes the breakers and is up while they are closed', async () => {
    const { server } = await boot();
    const entry = { status: 'up', aggregate: 'up', circuitBreakers: { payments: 'closed', recommendations: 'closed' } };
    await request(server).get('/health').expect(200, { status: 'ok', info: { resilience: entry }, error: {}, details: { resilience: entry } });
  });

  it('stays up (200) with a non-critical breaker open, reporting it degraded', async () => {
    const { server, clients } = await boot();
    await expect(clients.recommend()).rejects.toThrow();
    const response = await request(server).get('/health').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details.resilience).toEqual({
      status: 'up',
      aggregate: 'degraded',
      circuitBreakers: { payments: 'closed', recommendations: 'open' },
    });
  });

  it('returns 503 when a critical breaker is open, without error messages', async () => {
    const { server, clients } = await boot();
    await expect(clients.pay()).rejects.toThrow();
    const response = await request(server).get('/health').expect(503);
    const entry = { status: 'down', aggregate: 'down', circuitBreakers: { payments: 'open', recommendations: 'closed' } };
    expect(response.body).toEqual({ status: 'error', info: {}, error: { resilience: entry }, details: { resilience: entry } });
    expect(response.text).not.toContain('secret-token-123');
  });

  it('files the details under the key only once: no field of the entry repeats the key', async () => {
    const { server } = await boot();
    const details = (await request(server).get('/health').expect(200)).body.details as Record<string, Record<string, unknown>>;
    expect(Object.keys(details)).toEqual(['resilience']);
    expect(Object.keys(details['resilience']!).sort()).toEqual(['aggregate', 'circuitBreakers', 'status']);
    const indicator = app!.get(ResilienceHealthIndicator);
    expect(await indicator.isHealthy('breakers')).toEqual({
      breakers: { status: 'up', aggregate: 'up', circuitBreakers: { payments: 'closed', recommendations: 'closed' } },
    });
  });

  it('returns 503 for a critical breaker forced open, and 200 again after reset', async () => {
    const { server } = await boot();
    const breakers = app!.get(CircuitBreakerRegistry);
    breakers.forceOpen('payments');
    const response = await request(server).get('/health').expect(503);
    expect(response.body.error.resilience.circuitBreakers.payments).toBe('forced-open');
    breakers.reset('payments');
    await request(server).get('/health').expect(200);
  });
});
