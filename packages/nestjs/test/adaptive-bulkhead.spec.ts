import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import request from 'supertest';
import { Registry } from 'prom-client';
import { AdaptiveBulkheadPolicy, BulkheadPolicy, FakeClock } from '@bulwark/core';
import { Bulkhead, BulkheadRegistry, InvalidOptionsError, ResilienceModule, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { deferred, waitFor, type Deferred } from './support/async.js';

@Injectable()
class Reports {
  entered = 0;
  gate: Deferred<void> = deferred();

  @Bulkhead('reports')
  async build(): Promise<string> {
    this.entered++;
    await this.gate.promise;
    return 'report';
  }

  @Bulkhead({ adaptive: true })
  async quick(): Promise<string> {
    return 'quick';
  }
}

@Controller()
class ReportsController {
  constructor(private readonly reports: Reports) {}

  @Get('report')
  report(): Promise<string> {
    return this.reports.build();
  }

  @Get('quick')
  quick(): Promise<string> {
    return this.reports.quick();
  }
}

@Module({ controllers: [ReportsController], providers: [Reports] })
class ReportsModule {}

/** A limit pinned at 1 (whatever the latency), one queue place. */
const PINNED = { adaptive: { algorithm: 'aimd', initialLimit: 1, minLimit: 1, maxLimit: 1 }, maxQueue: 1 } as const;

describe.each(PLATFORMS)('adaptive bulkheads on %s', (platform: Platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    app?.get(Reports).gate.resolve();
    await app?.close();
    app = undefined;
  });

  async function boot(options: ResilienceModuleOptions): Promise<{ server: Server; reports: Reports; registry: BulkheadRegistry }> {
    app = await bootApp(platform, { imports: [ResilienceModule.forRoot({ clock: new FakeClock(Date.UTC(2030, 0, 1)), ...options }), ReportsModule] });
    return { server: app.getHttpServer() as Server, reports: app.get(Reports), registry: app.get(BulkheadRegistry) };
  }

  it('rejects calls beyond its limit and queue with BulkheadFullError, answered 503', async () => {
    const { server, reports, registry } = await boot({ bulkheads: { reports: PINNED } });
    const bulkhead = registry.get('reports');
    expect(bulkhead).toBeInstanceOf(AdaptiveBulkheadPolicy);

    const running = request(server).get('/report').then((r) => r);
    await waitFor(() => reports.entered === 1, 'the first call to run');
    const queued = request(server).get('/report').then((r) => r);
    await waitFor(() => bulkhead!.queued === 1, 'the second call to wait');

    const rejected = await request(server).get('/report');
    expect(rejected.status).toBe(503);
    expect(rejected.body.message).toBe('Service temporarily unavailable');
    expect(reports.entered).toBe(1);

    reports.gate.resolve();
    expect((await running).text).toBe('report');
    expect((await queued).text).toBe('report');
    expect(reports.entered).toBe(2);
  });

  it('shows every bulkhead under `bulkheads` in health, adaptive ones with their limit and algorithm', async () => {
    const { server, reports } = await boot({ bulkheads: { reports: PINNED, exports: { maxConcurrent: 3, maxQueue: 2 } } });
    const running = request(server).get('/report').then((r) => r);
    await waitFor(() => reports.entered === 1, 'the call to run');
    expect((await request(server).get('/quick')).text).toBe('quick');

    const health = await request(server).get('/health/resilience');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'up',
      circuitBreakers: {},
      bulkheads: {
        reports: { adaptive: true, algorithm: 'aimd', limit: 1, minLimit: 1, maxLimit: 1, maxQueue: 1, running: 1, queued: 0, rejected: 0 },
        exports: { maxConcurrent: 3, maxQueue: 2, running: 0, queued: 0, rejected: 0 },
        'Reports.quick': { adaptive: true, algorithm: 'gradient2', limit: 20, minLimit: 4, maxLimit: 200, maxQueue: 0, running: 0, queued: 0, rejected: 0 },
      },
    });
    reports.gate.resolve();
    await running;
  });

  it('exports limit, in-flight and queued gauges beside the rejected counter', async () => {
    const registry = new Registry();
    const { server, reports } = await boot({ bulkheads: { reports: PINNED }, metrics: { registry } });
    const running = request(server).get('/report').then((r) => r);
    await waitFor(() => reports.entered === 1, 'the call to run');
    const text = await registry.metrics();
    expect(text).toContain('bulwark_bulkhead_limit{name="reports"} 1');
    expect(text).toContain('bulwark_bulkhead_in_flight{name="reports"} 1');
    expect(text).toContain('bulwark_bulkhead_queued{name="reports"} 0');
    expect(text).toContain('bulwark_bulkhead_available{name="reports"} 0');
    expect(text).toContain('bulwark_bulkhead_rejected_total{name="reports"} 0');
    reports.gate.resolve();
    await running;
  });
});

describe('adaptive bulkhead options', () => {
  const start = (options: ResilienceModuleOptions): Promise<INestApplication> => bootApp('express', { imports: [ResilienceModule.forRoot(options), ReportsModule] });

  it.each<[ResilienceModuleOptions, string]>([
    [{ bulkheads: { reports: { adaptive: { minLimit: 0 } } } }, 'bulkheads.reports.adaptive.minLimit must be a positive integer (got 0)'],
    [{ bulkheads: { reports: { adaptive: { algorithm: 'vegas', alpha: -1 } } } }, 'bulkheads.reports.adaptive.alpha'],
    [{ bulkheads: { reports: { adaptive: { minLimit: 10, maxLimit: 5 } } } }, 'bulkheads.reports.adaptive.minLimit must be at most maxLimit (5)'],
    [{ bulkheads: { reports: { adaptive: true, maxQueue: -1 } } }, 'bulkheads.reports.maxQueue must be a non-negative integer (got -1)'],
    [
      { bulkheads: { reports: { adaptive: true, maxConcurrent: 4 } as never } },
      'bulkheads.reports.maxConcurrent cannot be given with adaptive: an adaptive bulkhead learns its limit',
    ],
    [{ defaults: { bulkhead: { adaptive: { initialLimit: 0 } } } }, 'defaults.bulkhead.adaptive.initialLimit must be a positive integer (got 0)'],
    [
      { defaults: { bulkhead: { adaptive: { limit: 1, minLimit: 1, maxLimit: 1, onSample: () => 1 } as never } } },
      'defaults.bulkhead.adaptive must be true or the limit options, not a LimitAlgorithm object',
    ],
  ])('%j fails start-up naming the policy and field', async (options, message) => {
    const app = start(options);
    await expect(app).rejects.toThrow(InvalidOptionsError);
    await expect(app).rejects.toThrow(message);
  });

  it('a decorator’s invalid adaptive options fail start-up naming the decorator', async () => {
    @Injectable()
    class Broken {
      @Bulkhead({ name: 'broken', adaptive: { maxLimit: 0 } })
      async run(): Promise<void> {}
    }
    await expect(bootApp('express', { imports: [ResilienceModule.forRoot()], providers: [Broken] })).rejects.toThrow(/Broken\.run.*adaptive\.maxLimit must be a positive integer/);
  });

  it('defaults.bulkhead may make bulkheads adaptive; the most specific options saying maxConcurrent or adaptive decide', async () => {
    const app = await start({
      defaults: { bulkhead: { adaptive: { algorithm: 'vegas' }, maxQueue: 3 } },
      bulkheads: { reports: { maxConcurrent: 2 }, exports: {}, statics: { adaptive: false } },
    });
    try {
      const registry = app.get(BulkheadRegistry);
      const reports = registry.get('reports')!;
      expect(reports).toBeInstanceOf(BulkheadPolicy);
      expect(reports).toMatchObject({ maxConcurrent: 2, maxQueue: 3 });
      const exports = registry.get('exports')!;
      expect(exports).toBeInstanceOf(AdaptiveBulkheadPolicy);
      expect(registry.adaptiveLimit(exports as AdaptiveBulkheadPolicy)).toEqual({ algorithm: 'vegas', minLimit: 4, maxLimit: 200 });
      expect(exports.maxQueue).toBe(3);
      expect(registry.get('statics')).toBeInstanceOf(BulkheadPolicy);
      expect(registry.get('Reports.quick')).toBeInstanceOf(AdaptiveBulkheadPolicy);
    } finally {
      await app.close();
    }
  });

  it('named in forFeature like any bulkhead', async () => {
    const app = await bootApp('express', {
      imports: [ResilienceModule.forRoot(), ResilienceModule.forFeature({ bulkheads: { reports: { adaptive: { algorithm: 'aimd' } } } }), ReportsModule],
    });
    try {
      expect(app.get(BulkheadRegistry).get('reports')).toBeInstanceOf(AdaptiveBulkheadPolicy);
    } finally {
      await app.close();
    }
  });
});
