import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Registry } from 'prom-client';
import { FakeClock } from '@bulwark/core';
import { InvalidOptionsError, Priority, ResilienceModule, type LoadSheddingOptions, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { InboundAdmission } from '../src/load-shedding/inbound-admission.js';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { deferred, waitFor, type Deferred } from './support/async.js';

/** What the routes did: handler entries by route, and the gate `/hold` waits for. */
@Injectable()
class Work {
  readonly entered: Record<string, number> = { hold: 0, count: 0, critical: 0, sheddable: 0, inherited: 0 };
  gate: Deferred<void> = deferred();
}

@Controller()
class ShopController {
  constructor(private readonly work: Work) {}

  @Get('hold')
  async hold(): Promise<string> {
    this.work.entered['hold']!++;
    await this.work.gate.promise;
    return 'held';
  }

  @Get('count')
  count(): string {
    this.work.entered['count']!++;
    return 'counted';
  }

  @Get('critical')
  @Priority('critical')
  critical(): string {
    this.work.entered['critical']!++;
    return 'critical';
  }
}

@Controller('batch')
@Priority('sheddable')
class BatchController {
  constructor(private readonly work: Work) {}

  @Get('sheddable')
  sheddable(): string {
    this.work.entered['sheddable']!++;
    return 'sheddable';
  }

  /** The handler's priority wins over its controller's. */
  @Get('urgent')
  @Priority('default')
  urgent(): string {
    this.work.entered['inherited']!++;
    return 'urgent';
  }
}

/** One request admitted and held: the only place of a limit of 1. */
const ONE: LoadSheddingOptions = { limit: { initialLimit: 1, minLimit: 1, maxLimit: 1 }, maxQueue: 0, retryAfterMs: 1_500 };

describe.each(PLATFORMS)('load shedding on %s', (platform: Platform) => {
  let app: INestApplication | undefined;
  let clock: FakeClock;

  afterEach(async () => {
    app?.get(Work).gate.resolve();
    await app?.close();
    app = undefined;
  });

  async function boot(options: ResilienceModuleOptions): Promise<{ server: Server; work: Work; admission: InboundAdmission }> {
    clock = new FakeClock(Date.UTC(2030, 0, 1));
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ clock, ...options })],
      controllers: [ShopController, BatchController],
      providers: [Work],
    });
    return { server: app.getHttpServer() as Server, work: app.get(Work), admission: app.get(InboundAdmission) };
  }

  /**
   * Starts a request to `/hold` and waits until its handler runs (holding its place); resolves with
   * its response to be (wrapped: an async function returning a promise would wait for it).
   */
  async function hold(server: Server, work: Work): Promise<{ response: Promise<request.Response> }> {
    const before = work.entered['hold']!;
    const response = request(server).get('/hold').then((r) => r);
    await waitFor(() => work.entered['hold'] === before + 1, 'the held request to reach its handler');
    return { response };
  }

  it('answers 503 with Retry-After before the handler runs when the limit is reached, and admits again once a request ends', async () => {
    const { server, work, admission } = await boot({ loadShedding: ONE });
    const { response: held } = await hold(server, work);
    expect(admission.controller!.snapshot()).toEqual({ limit: 1, inFlight: 1, queued: 0, shed: 0 });

    const shed = await request(server).get('/count');
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('2');
    expect(shed.body).toEqual({ statusCode: 503, message: 'Service temporarily unavailable', error: 'Service Unavailable' });
    expect(work.entered['count']).toBe(0);

    work.gate.resolve();
    expect((await held).text).toBe('held');
    await waitFor(() => admission.controller!.inFlight === 0, 'the held request to give its place back');
    const admitted = await request(server).get('/count');
    expect(admitted.status).toBe(200);
    expect(work.entered['count']).toBe(1);
    expect(admission.controller!.snapshot()).toEqual({ limit: 1, inFlight: 0, queued: 0, shed: 1 });
  });

  it('admits critical handlers, health and Bulwark’s own routes while shedding', async () => {
    const { server, work, admission } = await boot({ loadShedding: ONE });
    const { response: held } = await hold(server, work);

    expect((await request(server).get('/critical')).status).toBe(200);
    expect(work.entered['critical']).toBe(1);
    const health = await request(server).get('/health/resilience');
    expect(health.status).toBe(200);
    expect(health.body.loadShedding).toEqual({ limit: 1, inFlight: 1, queued: 0, shed: 0 });
    expect((await request(server).get('/count')).status).toBe(503);
    expect((await request(server).get('/health/resilience')).body.loadShedding).toEqual({ limit: 1, inFlight: 1, queued: 0, shed: 1 });
    expect(admission.controller!.inFlight).toBe(1);

    work.gate.resolve();
    await held;
  });

  it('sheds sheddable requests first: a controller’s priority applies to its handlers, a handler’s own wins', async () => {
    // Limit 2, sheddable requests may fill half of it: with one request in flight they are shed.
    const { server, work } = await boot({ loadShedding: { limit: { initialLimit: 2, minLimit: 2, maxLimit: 2 }, maxQueue: 0, sheddableShare: 0.5 } });
    expect((await request(server).get('/batch/sheddable')).status).toBe(200);
    const { response: held } = await hold(server, work);

    const sheddable = await request(server).get('/batch/sheddable');
    expect(sheddable.status).toBe(503);
    expect(sheddable.headers['retry-after']).toBe('1');
    expect(work.entered['sheddable']).toBe(1);
    expect((await request(server).get('/batch/urgent')).status).toBe(200);
    expect(work.entered['inherited']).toBe(1);

    work.gate.resolve();
    await held;
  });

  it('lets a request wait in the queue, and sheds it once it waited past the queue’s delay (CoDel)', async () => {
    const { server, work, admission } = await boot({
      loadShedding: { limit: { initialLimit: 1, minLimit: 1, maxLimit: 1 }, maxQueue: 4, queueTarget: 5, queueInterval: 100 },
    });
    const { response: held } = await hold(server, work);

    const queued = request(server).get('/count').then((r) => r);
    await waitFor(() => admission.controller!.queued === 1, 'a request to wait in the queue');
    clock.advance(100);
    const shed = await queued;
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(work.entered['count']).toBe(0);

    // A request that waits less is admitted when the held one ends.
    const waiting = request(server).get('/count').then((r) => r);
    await waitFor(() => admission.controller!.queued === 1, 'another request to wait in the queue');
    work.gate.resolve();
    expect((await held).status).toBe(200);
    expect((await waiting).status).toBe(200);
    expect(work.entered['count']).toBe(1);
    expect(admission.controller!.snapshot()).toMatchObject({ inFlight: 0, queued: 0, shed: 1 });
  });

  it('gives the place back when a client goes away: while waiting in the queue, and while its request runs', async () => {
    const { server, work, admission } = await boot({
      loadShedding: { limit: { initialLimit: 1, minLimit: 1, maxLimit: 1 }, maxQueue: 4, queueTarget: 5, queueInterval: 100 },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const open = (path: string): http.ClientRequest => {
      const client = http.get({ host: '127.0.0.1', port, path });
      client.on('error', () => undefined);
      return client;
    };

    const holder = open('/hold');
    await waitFor(() => work.entered['hold'] === 1, 'the held request to reach its handler');
    const waiter = open('/count');
    await waitFor(() => admission.controller!.queued === 1, 'a request to wait in the queue');
    waiter.destroy();
    await waitFor(() => admission.controller!.queued === 0, 'the queued request to leave the queue');
    expect(admission.controller!.inFlight).toBe(1);

    holder.destroy();
    await waitFor(() => admission.controller!.inFlight === 0, 'the held request to give its place back');
    work.gate.resolve();
    expect(work.entered['count']).toBe(0);
    expect((await request(server).get('/count')).status).toBe(200);
    expect(admission.controller!.snapshot()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('exports its limit, in-flight, queued and shed counts as Prometheus metrics', async () => {
    const registry = new Registry();
    const { server, work } = await boot({ loadShedding: ONE, metrics: { registry } });
    const { response: held } = await hold(server, work);
    expect((await request(server).get('/count')).status).toBe(503);

    const text = await registry.metrics();
    expect(text).toContain('bulwark_load_shedding_limit{name="loadShedding"} 1');
    expect(text).toContain('bulwark_load_shedding_in_flight{name="loadShedding"} 1');
    expect(text).toContain('bulwark_load_shedding_queued{name="loadShedding"} 0');
    expect(text).toContain('bulwark_load_shed_total{name="loadShedding",priority="default",reason="capacity"} 1');
    expect(text).toContain('bulwark_load_shed_total{name="loadShedding",priority="sheddable",reason="queue_timeout"} 0');

    work.gate.resolve();
    await held;
  });

  it('is off by default: no admission controller, nothing in health, no request ever shed', async () => {
    const { server, work, admission } = await boot({});
    expect(admission.controller).toBeUndefined();
    const { response: held } = await hold(server, work);
    expect((await request(server).get('/count')).status).toBe(200);
    expect((await request(server).get('/health/resilience')).body).not.toHaveProperty('loadShedding');
    work.gate.resolve();
    await held;
  });
});

describe('load-shedding options', () => {
  @Module({ controllers: [ShopController], providers: [Work] })
  class ShopModule {}

  it.each<[unknown, string]>([
    [{ queueTarget: 0 }, 'loadShedding.queueTarget must be'],
    [{ limit: { minLimit: 0 } }, 'loadShedding.limit.minLimit must be a positive integer (got 0)'],
    [{ limit: { algorithm: 'bbr' } }, 'loadShedding.limit.algorithm'],
    [{ sheddableShare: 2 }, 'loadShedding.sheddableShare'],
    ['yes', 'loadShedding must be a boolean or the load-shedding options'],
  ])('%j fails start-up naming the field', async (loadShedding, message) => {
    const start = bootApp('express', { imports: [ResilienceModule.forRoot({ loadShedding } as ResilienceModuleOptions), ShopModule] });
    await expect(start).rejects.toThrow(InvalidOptionsError);
    await expect(start).rejects.toThrow(message);
  });

  it('forRootAsync: declared beside the factory, the factory tunes it but cannot turn it on', async () => {
    const app = await bootApp('express', {
      imports: [
        ResilienceModule.forRootAsync({ loadShedding: ONE, useFactory: () => ({ loadShedding: { retryAfterMs: 3_000 } }) }),
        ShopModule,
      ],
    });
    try {
      const controller = app.get(InboundAdmission).controller!;
      expect(controller.retryAfterMs).toBe(3_000);
      expect(controller.limit).toBe(1);
    } finally {
      await app.close();
    }
    const start = bootApp('express', { imports: [ResilienceModule.forRootAsync({ useFactory: () => ({ loadShedding: true }) }), ShopModule] });
    await expect(start).rejects.toThrow('`loadShedding` came from the options factory (true) but was not given to forRootAsync itself');
  });
});
