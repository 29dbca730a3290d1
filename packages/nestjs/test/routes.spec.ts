import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, type CanActivate, type DynamicModule, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { FakeClock } from '@bulwark/core';
import { ResilienceModule, type ResilienceModuleAsyncOptions, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('items')
class ItemsController {
  @Get()
  list(): string[] {
    return [];
  }
}

type RouteOptions = Pick<ResilienceModuleAsyncOptions, 'health' | 'live' | 'admin' | 'metrics' | 'openApi'>;

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/**
 * Boots `resilience` and lists the routes the platform's router holds (`METHOD /path`), read from
 * the router itself: a route that exists but answers 404 cannot be told apart over HTTP.
 */
async function routesOf(platform: Platform, resilience: DynamicModule): Promise<string[]> {
  const fastifyRoutes: string[] = [];
  app = await bootApp(
    platform,
    { imports: [resilience], controllers: [ItemsController] },
    {
      configure: (nest) => {
        if (platform !== 'fastify') return;
        const fastify = nest.getHttpAdapter().getInstance() as { addHook(name: 'onRoute', hook: (route: { method: string | string[]; url: string }) => void): void };
        fastify.addHook('onRoute', ({ method, url }) => {
          for (const verb of [method].flat()) fastifyRoutes.push(`${verb} ${url}`);
        });
      },
    },
  );
  const routes =
    platform === 'fastify'
      ? fastifyRoutes
      : (app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack.flatMap(
          (layer) => (layer.route === undefined ? [] : Object.keys(layer.route.methods).map((verb) => `${verb.toUpperCase()} ${layer.route!.path}`)),
        );
  const list = [...new Set(routes.filter((route) => !/^(HEAD|OPTIONS) /.test(route)))].sort();
  await app.close();
  app = undefined;
  return list;
}

const HEALTH = ['GET /health/resilience', 'GET /health/resilience/:name'];
const LIVE = ['GET /health/resilience/dashboard', 'GET /health/resilience/dashboard/data', 'GET /health/resilience/events'];
const ADMIN = ['POST /health/resilience/:name/disable', 'POST /health/resilience/:name/force-open', 'POST /health/resilience/:name/reset'];
const OWN = ['GET /items'];

describe.each(PLATFORMS)('%s: forRootAsync mounts exactly what forRoot would', (platform: Platform) => {
  const registry = new Registry();
  it.each<[string, RouteOptions, string[]]>([
    ['no route options', {}, [...HEALTH, ...OWN]],
    ['admin', { admin: { guard: AllowAll } }, [...HEALTH, ...ADMIN, ...OWN]],
    ['live: true', { live: true }, [...HEALTH, ...LIVE, ...OWN]],
    ['live: { guard }', { live: { guard: AllowAll } }, [...HEALTH, ...LIVE, ...OWN]],
    ['live: false', { live: false }, [...HEALTH, ...OWN]],
    ['health: false', { health: false }, OWN],
    [
      'a health path, the live view and a metrics path',
      { health: { path: 'ops/resilience' }, live: true, metrics: { path: 'metrics', registry } },
      [...HEALTH, ...LIVE].map((route) => route.replace('/health/', '/ops/')).concat('GET /metrics', ...OWN),
    ],
  ])('%s', async (_label, routes, expected) => {
    const options: ResilienceModuleOptions = { clock: new FakeClock(0), openTelemetry: false, circuitBreakers: { pricing: {} } };
    const eager = await routesOf(platform, ResilienceModule.forRoot({ ...options, ...routes }));
    const deferred = await routesOf(platform, ResilienceModule.forRootAsync({ ...routes, useFactory: () => options }));
    expect(eager).toEqual([...expected].sort());
    expect(deferred).toEqual(eager);
  });

  it('a health path from the factory moves the same routes', async () => {
    const options: ResilienceModuleOptions = { clock: new FakeClock(0), openTelemetry: false };
    const eager = await routesOf(platform, ResilienceModule.forRoot({ ...options, health: { path: 'ops/resilience' } }));
    const deferred = await routesOf(platform, ResilienceModule.forRootAsync({ useFactory: () => ({ ...options, health: { path: 'ops/resilience' } }) }));
    expect(eager).toContain('GET /ops/resilience/:name');
    expect(deferred).toEqual(eager);
  });
});

describe.each(PLATFORMS)("%s: Bulwark's routes in the application's OpenAPI document", (platform: Platform) => {
  const pathsOf = async (resilience: DynamicModule): Promise<string[]> => {
    app = await bootApp(platform, { imports: [resilience], controllers: [ItemsController] });
    return Object.keys(SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('shop').build()).paths).sort();
  };
  const registry = new Registry();
  const everything: ResilienceModuleOptions = {
    openTelemetry: false,
    admin: { guard: AllowAll },
    live: true,
    metrics: { path: 'metrics', registry },
  };
  const BULWARK = [
    '/health/resilience',
    '/health/resilience/dashboard',
    '/health/resilience/dashboard/data',
    '/health/resilience/events',
    '/health/resilience/{name}',
    '/health/resilience/{name}/disable',
    '/health/resilience/{name}/force-open',
    '/health/resilience/{name}/reset',
    '/metrics',
  ];

  it('are left out by default, with forRoot and forRootAsync', async () => {
    expect(await pathsOf(ResilienceModule.forRoot(everything))).toEqual(['/items']);
    await app!.close();
    const { admin, live, metrics, ...rest } = everything;
    expect(await pathsOf(ResilienceModule.forRootAsync({ admin, live, metrics, useFactory: () => rest }))).toEqual(['/items']);
  });

  it('are included with openApi: true', async () => {
    expect(await pathsOf(ResilienceModule.forRoot({ ...everything, openApi: true }))).toEqual([...BULWARK, '/items'].sort());
    await app!.close();
    const { admin, live, metrics, ...rest } = everything;
    expect(await pathsOf(ResilienceModule.forRootAsync({ admin, live, metrics, openApi: true, useFactory: () => rest }))).toEqual([...BULWARK, '/items'].sort());
  });

  it('openApi from the factory alone fails start-up, like every route option', async () => {
    await expect(pathsOf(ResilienceModule.forRootAsync({ useFactory: () => ({ openTelemetry: false, openApi: true }) }))).rejects.toThrow(
      'ResilienceModule.forRootAsync: `openApi` came from the options factory (true) but was not given to forRootAsync itself.',
    );
  });
});
