import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Headers, Injectable, type INestApplication } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { currentSignal, KeyedCircuitBreakers } from '@bulwark/core';
import { CircuitBreakerRegistry, Deadline, ResilienceModule } from '@bulwark/nestjs';
import { httpCircuitBreakerOptions, resilientFetch } from '@bulwark/http';
import { ResilientHttpModule } from '@bulwark/http/nestjs';
import { bootApp, PLATFORMS, type Platform } from '../../nestjs/test/support/app.js';
import { until } from './support/test-server.js';

const HEADER = 'x-request-deadline-ms';

/** Three services, storefront → catalog → inventory, each a Nest app of its own. */
const seen = { catalog: [] as string[], inventory: [] as string[] };
const inventorySignals: AbortSignal[] = [];
const urls = { catalog: '', inventory: '' };

@Controller('stock')
class InventoryController {
  @Get()
  stock(@Headers(HEADER) budget: string) {
    seen.inventory.push(budget);
    return { inStock: 3 };
  }

  /** Answers only when the request's scope aborts (its caller went away or its budget ran out). */
  @Get('hang')
  async hang(@Headers(HEADER) budget: string) {
    seen.inventory.push(budget);
    const signal = currentSignal()!;
    inventorySignals.push(signal);
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
}

// Written as users write it: HttpService injected, no return types.
@Controller('item')
class CatalogController {
  constructor(private readonly http: HttpService) {}

  @Get()
  async item(@Headers(HEADER) budget: string) {
    seen.catalog.push(budget);
    const response = await firstValueFrom(this.http.get(`${urls.inventory}/stock`));
    return { name: 'lamp', ...response.data };
  }

  @Get('hang')
  async hang(@Headers(HEADER) budget: string) {
    seen.catalog.push(budget);
    const response = await firstValueFrom(this.http.get(`${urls.inventory}/stock/hang`));
    return response.data;
  }
}

@Injectable()
class CatalogClient {
  readonly breakers = KeyedCircuitBreakers.fromOptions({ ...httpCircuitBreakerOptions({ name: 'catalog' }), name: 'catalog' });
  readonly fetch = resilientFetch({ name: 'catalog', circuitBreakers: this.breakers });
}

@Controller('page')
class StorefrontController {
  constructor(private readonly catalog: CatalogClient) {}

  @Get()
  @Deadline(2_000)
  async page() {
    const response = await this.catalog.fetch(`${urls.catalog}/item`);
    return response.json();
  }

  @Get('hang')
  async hang() {
    const response = await this.catalog.fetch(`${urls.catalog}/item/hang`);
    return response.json();
  }
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

async function bootServices(platform: Platform) {
  const inventory = await bootApp(platform, { imports: [ResilienceModule.forRoot()], controllers: [InventoryController] });
  urls.inventory = await listen(inventory);
  const catalog = await bootApp(platform, {
    imports: [ResilienceModule.forRoot(), ResilientHttpModule.register({ name: 'inventory' })],
    controllers: [CatalogController],
  });
  urls.catalog = await listen(catalog);
  const storefront = await bootApp(platform, { imports: [ResilienceModule.forRoot()], controllers: [StorefrontController], providers: [CatalogClient] });
  return { inventory, catalog, storefront, url: await listen(storefront) };
}

describe.each(PLATFORMS)('deadlines across three services (%s)', (platform) => {
  let apps: INestApplication[] = [];
  afterEach(async () => {
    // Keep-alive sockets of fetch and axios would hold each server's close for seconds.
    for (const app of apps) (app.getHttpServer() as http.Server).closeAllConnections();
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    seen.catalog.length = 0;
    seen.inventory.length = 0;
    inventorySignals.length = 0;
  });

  it('sends each hop what is left of the first caller’s budget, less the margin', async () => {
    const services = await bootServices(platform);
    apps = [services.storefront, services.catalog, services.inventory];
    const answer = await fetch(`${services.url}/page`, { headers: { [HEADER]: '1500' } });
    expect(await answer.json()).toEqual({ name: 'lamp', inStock: 3 });
    const catalog = Number(seen.catalog[0]);
    const inventory = Number(seen.inventory[0]);
    // The storefront's budget is the smaller of the header (1500) and @Deadline (2000).
    expect(catalog).toBeLessThanOrEqual(1_450);
    expect(inventory).toBeLessThanOrEqual(catalog - 50);
    expect(inventory).toBeGreaterThan(0);
    // @Deadline alone: 2000.
    await fetch(`${services.url}/page`);
    expect(Number(seen.catalog[1])).toBeLessThanOrEqual(1_950);
    expect(Number(seen.catalog[1])).toBeGreaterThan(1_450);
  });

  it('a client going away at the first hop aborts the work at the last; no breaker on the way counts it', async () => {
    const services = await bootServices(platform);
    apps = [services.storefront, services.catalog, services.inventory];
    const { port } = new URL(services.url);
    const client = http.get({ host: '127.0.0.1', port: Number(port), path: '/page/hang' });
    client.on('error', () => undefined);
    await until(() => inventorySignals.length === 1, 'the request to reach the inventory');
    // No budget from the client: the storefront sends its attempt's own (3 s less the margin).
    expect(Number(seen.catalog[0])).toBeLessThanOrEqual(2_950);
    client.destroy();
    await until(() => inventorySignals[0]!.aborted, 'the inventory’s work to be aborted');
    const storefrontBreakers = services.storefront.get(CatalogClient).breakers;
    await until(() => storefrontBreakers.list().every((breaker) => breaker.snapshot().calls.ignored === 1), 'the storefront’s call to be booked');
    for (const breaker of storefrontBreakers.list()) expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0 } });
    const catalogBreakers = services.catalog.get(CircuitBreakerRegistry).family('inventory')!.list();
    expect(catalogBreakers.length).toBeGreaterThan(0);
    await until(() => catalogBreakers.every((breaker) => breaker.snapshot().calls.ignored === 1), 'the catalog’s call to be booked');
    for (const breaker of catalogBreakers) expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0 } });
  });
});
