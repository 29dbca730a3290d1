import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { CircuitBreakerRegistry, ResilienceModule } from '@bulwark/nestjs';
import { ResilientHttpModule } from '@bulwark/http/nestjs';
import { bootApp, PLATFORMS } from '../../nestjs/test/support/app.js';
import { answer, TestServer } from './support/test-server.js';

let downstream: TestServer;
beforeEach(async () => {
  downstream = await TestServer.start();
});
afterEach(async () => {
  await downstream.stop();
});

// Written as users write it: no return types, the HttpService injected, errors thrown as they come.
@Controller('catalog')
class CatalogController {
  constructor(private readonly http: HttpService) {}

  @Get(':id')
  async item(@Param('id') id: string) {
    const response = await firstValueFrom(this.http.get(`/items/${id}`));
    return response.data;
  }
}

/** Stands in for @nestjs/config's ConfigService: every value a string. */
@Injectable()
class ConfigService {
  static url = '';
  get(key: string): string | undefined {
    return { CATALOG_URL: ConfigService.url }[key];
  }
}
@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

describe.each(PLATFORMS)('ResilientHttpModule (%s)', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('makes HttpService resilient: retries, a per-origin breaker in the registry and in /health/resilience, 503 once it is open', async () => {
    downstream.handle((_request, response) => answer(response, 503));
    app = await bootApp(platform, {
      imports: [
        ResilienceModule.forRoot(),
        ResilientHttpModule.register({
          name: 'catalog',
          axios: { baseURL: downstream.url },
          retry: { baseDelay: 0, maxRetries: 1 },
          circuitBreaker: { failureThreshold: 4 },
          deadline: false,
        }),
      ],
      controllers: [CatalogController],
    });
    const server = app.getHttpServer();
    // The downstream's 503 comes out of the handler as axios' error: Nest's own 500.
    await request(server).get('/catalog/1').expect(500);
    await request(server).get('/catalog/2').expect(500);
    expect(downstream.requests).toHaveLength(4);
    // Open: refused without a request, mapped to 503 with Retry-After like any open breaker.
    const refused = await request(server).get('/catalog/3').expect(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(downstream.requests).toHaveLength(4);

    const family = app.get(CircuitBreakerRegistry).family('catalog');
    expect(family?.size).toBe(1);
    const health = await request(server).get('/health/resilience').expect(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.circuitBreakers.catalog).toMatchObject({ state: 'open', keyCount: 1, keyStates: { open: 1 } });
    // Origins are keys: not shown unless exposeKeys.
    expect(health.body.circuitBreakers.catalog.keys).toBeUndefined();
  });

  it('judges statuses the HTTP way: a 404 is the answer, not a failure; Retry-After paces the retry', async () => {
    let calls = 0;
    downstream.handle((request, response) => {
      if (request.url === '/items/missing') return answer(response, 404);
      return ++calls === 1 ? answer(response, 429, { 'retry-after': '0' }) : answer(response, 200);
    });
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ exposeKeys: true }), ResilientHttpModule.register({ name: 'catalog', axios: { baseURL: downstream.url } })],
      controllers: [CatalogController],
    });
    const server = app.getHttpServer();
    await request(server).get('/catalog/missing').expect(500);
    expect((await request(server).get('/catalog/1').expect(200)).body).toEqual({ status: 200 });
    const health = await request(server).get('/health/resilience').expect(200);
    const origin = new URL(downstream.url).origin;
    expect(health.body.circuitBreakers.catalog.keys[origin]).toMatchObject({ state: 'closed', failureCount: 0 });
  });

  it('registerAsync: options from a config provider, under the module’s breaker defaults', async () => {
    ConfigService.url = downstream.url;
    downstream.handle((_request, response) => answer(response, 500));
    app = await bootApp(platform, {
      imports: [
        ResilienceModule.forRoot({ defaults: { circuitBreaker: { failureThreshold: 1 } } }),
        ResilientHttpModule.registerAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ name: 'catalog', retry: false, axios: { baseURL: config.get('CATALOG_URL') } }),
        }),
      ],
      controllers: [CatalogController],
    });
    const server = app.getHttpServer();
    await request(server).get('/catalog/1').expect(500);
    await request(server).get('/catalog/2').expect(503);
    expect(downstream.requests).toHaveLength(1);
  });
});

describe('ResilientHttpModule start-up', () => {
  it('registerAsync refuses client options beside the factory (they would be lost), naming them', () => {
    const misplaced = { name: 'catalog', useFactory: () => ({}) } as unknown as Parameters<typeof ResilientHttpModule.registerAsync>[0];
    expect(() => ResilientHttpModule.registerAsync(misplaced)).toThrow(/name must be returned by useFactory/);
    expect(() => ResilientHttpModule.registerAsync({} as Parameters<typeof ResilientHttpModule.registerAsync>[0])).toThrow(/needs \{ useFactory/);
  });

  it('fails with the client and the field named for a bad option', () => {
    expect(() => ResilientHttpModule.register({ name: 'catalog', timeout: -1 })).toThrow(/ResilientHttpModule\(catalog\)\.timeout/);
  });

  it('fails when two clients share a name, and says what to do', async () => {
    await expect(
      bootApp('express', {
        imports: [
          ResilienceModule.forRoot(),
          ResilientHttpModule.register({ axios: { baseURL: 'http://a.invalid' } }),
          ResilientHttpModule.register({ axios: { baseURL: 'http://b.invalid' } }),
        ],
      }),
    ).rejects.toThrow(/a circuit breaker named "http" already exists; give each HTTP client its own `name`/);
  });

  it('fails when the module configures a shared breaker of the same name', async () => {
    await expect(
      bootApp('express', {
        imports: [ResilienceModule.forRoot({ circuitBreakers: { catalog: { failureThreshold: 1 } } }), ResilientHttpModule.register({ name: 'catalog' })],
      }),
    ).rejects.toThrow(/circuitBreakers\.catalog of ResilienceModule configures a circuit breaker of its own/);
  });

  it('works without ResilienceModule: the client keeps its breakers to itself', async () => {
    downstream.handle((_request, response) => answer(response, 200));
    const app = await bootApp('express', {
      imports: [ResilientHttpModule.register({ axios: { baseURL: downstream.url } })],
      controllers: [CatalogController],
    });
    try {
      expect((await request(app.getHttpServer()).get('/catalog/1').expect(200)).body).toEqual({ status: 200 });
      expect(downstream.requests[0]!.headers['x-request-deadline-ms']).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
