import 'reflect-metadata';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Param, type CanActivate, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Redis } from 'ioredis';
import { CircuitBreaker, CircuitBreakerRegistry, ResilienceModule, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { redisStore, type RedisStore } from '@bulwark/redis';
import { bootApp, PLATFORMS } from '../../nestjs/test/support/app.js';
import { freePort } from '@bulwark/local-cluster';
import { sharedRedisUrl } from './support/redis-server.js';
import { sharing } from './support/store-replicas.js';

class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The dependency every replica calls; the spec decides whether it is up. */
const downstream = { up: true, calls: 0 };

@Injectable()
class PartnerClient {
  @CircuitBreaker('partner')
  async fetch(id: string): Promise<string> {
    downstream.calls++;
    if (!downstream.up) throw new Error('partner down');
    return `item ${id}`;
  }
}

/** One breaker per tenant; only tenant `down` fails. */
@Injectable()
class TenantClient {
  @CircuitBreaker({ name: 'tenant-api', key: (tenant: string) => tenant, failureThreshold: 2, recoveryTimeout: 60_000 })
  async fetch(tenant: string): Promise<string> {
    if (tenant === 'down') throw new Error('tenant down');
    return `hello ${tenant}`;
  }
}

@Controller('items')
class ItemsController {
  constructor(
    private readonly partner: PartnerClient,
    private readonly tenants: TenantClient,
  ) {}
  @Get(':id')
  get(@Param('id') id: string): Promise<string> {
    return this.partner.fetch(id);
  }
  @Get('tenant/:tenant')
  tenant(@Param('tenant') tenant: string): Promise<string> {
    return this.tenants.fetch(tenant);
  }
}

/** Two Nest applications with their own Redis store stand for two replicas. */
describe.each(PLATFORMS)('ResilienceModule with a Redis store (%s)', (platform) => {
  let url: string;
  const apps: INestApplication[] = [];
  const clients: Redis[] = [];

  beforeAll(async () => {
    url = await sharedRedisUrl();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    for (const client of clients.splice(0)) client.disconnect();
    downstream.up = true;
    downstream.calls = 0;
  });

  async function replica(prefix: string, redisUrl = url): Promise<{ app: INestApplication; store: RedisStore }> {
    // A short disconnectTimeout: a socket that never connected must not hold the test process for 2 s.
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 1, disconnectTimeout: 100 });
    client.on('error', () => undefined);
    clients.push(client);
    const store = redisStore({ client, prefix, logger: { log: () => undefined, warn: () => undefined } });
    const options: ResilienceModuleOptions = {
      store,
      circuitBreakers: { partner: { failureThreshold: 4, recoveryTimeout: 60_000, critical: true } },
      admin: { guard: AllowAll },
      exposeKeys: true,
    };
    const app = await bootApp(platform, { imports: [ResilienceModule.forRoot(options)], controllers: [ItemsController], providers: [PartnerClient, TenantClient] });
    apps.push(app);
    return { app, store };
  }
  const health = async (app: INestApplication) => (await request(app.getHttpServer()).get('/health/resilience/partner')).body as { state: string };
  async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > timeoutMs) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('failures served by two replicas open the breaker on both; health is down on both (critical)', async () => {
    const prefix = `nest-store-${platform}-${Date.now()}-1`;
    const one = await replica(prefix);
    const two = await replica(prefix);
    expect(one.store.attachedIds()).toEqual(['partner']);
    await sharing(one.store, two.store);
    downstream.up = false;
    for (const app of [one.app, two.app, one.app, two.app]) await request(app.getHttpServer()).get('/items/1').expect(500);
    await until(async () => (await health(one.app)).state === 'open' && (await health(two.app)).state === 'open');
    // Every replica now fails fast with 503 and the dependency is spared.
    const before = downstream.calls;
    const refused = await request(two.app.getHttpServer()).get('/items/2');
    expect(refused.status).toBe(503);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(downstream.calls).toBe(before);
    await request(two.app.getHttpServer()).get('/health/resilience').expect(503);
  });

  it('the admin endpoint of one replica forces the breaker open on every replica, and reset closes them all', async () => {
    const prefix = `nest-store-${platform}-${Date.now()}-2`;
    const one = await replica(prefix);
    const two = await replica(prefix);
    await sharing(one.store, two.store);
    await request(one.app.getHttpServer()).post('/health/resilience/partner/force-open').expect((res) => expect(res.status).toBeLessThan(300));
    await until(async () => (await health(two.app)).state === 'forced-open');
    await request(two.app.getHttpServer()).get('/items/3').expect(503);
    await request(two.app.getHttpServer()).post('/health/resilience/partner/reset').expect((res) => expect(res.status).toBeLessThan(300));
    await until(async () => (await health(one.app)).state === 'closed');
    expect(two.app.get(CircuitBreakerRegistry).get('partner')!.state).toBe('closed');
  });

  it('per-key breakers are shared key by key: one tenant open on every replica, the others closed', async () => {
    const prefix = `nest-store-${platform}-${Date.now()}-4`;
    const one = await replica(prefix);
    const two = await replica(prefix);
    await sharing(one.store, two.store);
    await request(two.app.getHttpServer()).get('/items/tenant/up').expect(200);
    await request(two.app.getHttpServer()).get('/items/tenant/down').expect(500);
    await request(one.app.getHttpServer()).get('/items/tenant/down').expect(500); // the cluster's second failure
    await until(async () => {
      const body = (await request(two.app.getHttpServer()).get('/health/resilience/tenant-api')).body as { keys?: Record<string, { state: string }> };
      return body.keys?.['down']?.state === 'open';
    });
    await request(two.app.getHttpServer()).get('/items/tenant/down').expect(503);
    await request(two.app.getHttpServer()).get('/items/tenant/up').expect(200);
    expect(two.store.attachedIds().sort()).toEqual(['partner', 'tenant-api:down', 'tenant-api:up']);
  });

  it('health shows whether the store shares state (`store`); a store that cannot reach Redis leaves `status` to the breakers', async () => {
    const prefix = `nest-store-${platform}-${Date.now()}-5`;
    const one = await replica(prefix);
    await sharing(one.store);
    const shared = (await request(one.app.getHttpServer()).get('/health/resilience').expect(200)).body as Record<string, unknown>;
    expect(shared).toMatchObject({ status: 'up', store: { connected: true, subscribed: true } });
    const nowhere = await replica(prefix, `redis://127.0.0.1:${await freePort()}`);
    const alone = (await request(nowhere.app.getHttpServer()).get('/health/resilience').expect(200)).body as Record<string, unknown>;
    expect(alone).toMatchObject({ status: 'up', store: { connected: false, subscribed: false } });
  });

  it('closing the application closes the store (the breakers are local again)', async () => {
    const { app, store } = await replica(`nest-store-${platform}-${Date.now()}-3`);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(store.attachedIds()).toEqual([]);
  });

  it('rejects a store option that is not a store, naming the option', async () => {
    await expect(
      bootApp(platform, { imports: [ResilienceModule.forRoot({ store: {} as never })] }),
    ).rejects.toThrow(/store must be a ResilienceStore/);
  });
});
