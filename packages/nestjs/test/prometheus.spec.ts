import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  Injectable,
  Module,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { map, type Observable } from 'rxjs';
import request from 'supertest';
import * as promClient from 'prom-client';
import { Counter, Registry, register } from 'prom-client';
import { FakeClock } from '@bulwark/core';
import { CircuitBreakerRegistry, InvalidOptionsError, ResilienceModule, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { CALL_DURATION_SOURCE, type CallDurationSource } from '../src/observability/metrics/call-duration.js';
import { PEER_IMPORTER } from '../src/observability/optional-peer.js';
import type { PromClientModule } from '../src/observability/prometheus/prometheus-metrics.js';
import type { PrometheusRegistry } from '../src/observability/observability-options.interface.js';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { Dependencies } from './support/observed-dependencies.js';

// Compile-time checks: prom-client's module and Registry fit what Bulwark declares it uses.
const promClientFits: PromClientModule = promClient;
const registryFits: PrometheusRegistry = new Registry();
void promClientFits;
void registryFits;

const START = Date.UTC(2030, 0, 1);

const METRIC_TYPES = {
  bulwark_circuit_breaker_state: 'gauge',
  bulwark_circuit_breaker_calls_total: 'counter',
  bulwark_circuit_breaker_failure_rate: 'gauge',
  bulwark_circuit_breaker_slow_call_rate: 'gauge',
  bulwark_retry_calls_total: 'counter',
  bulwark_timeouts_total: 'counter',
  bulwark_bulkhead_rejected_total: 'counter',
  bulwark_bulkhead_available: 'gauge',
  bulwark_bulkhead_limit: 'gauge',
  bulwark_bulkhead_in_flight: 'gauge',
  bulwark_bulkhead_queued: 'gauge',
  bulwark_load_shedding_limit: 'gauge',
  bulwark_load_shedding_in_flight: 'gauge',
  bulwark_load_shedding_queued: 'gauge',
  bulwark_load_shed_total: 'counter',
  bulwark_fallbacks_total: 'counter',
  bulwark_call_duration_seconds: 'histogram',
};

interface Exposition {
  types: Record<string, string>;
  /** `name{a="x",b="y"}` (labels sorted) -> value. */
  samples: Map<string, number>;
}

/** Parses Prometheus text exposition (what a scraper reads). */
function parseExposition(text: string): Exposition {
  const types: Record<string, string> = {};
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types[type[1]!] = type[2]!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`unparseable sample line: ${line}`);
    const labels = [...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`);
    const value = sample[3] === '+Inf' ? Infinity : Number(sample[3]);
    samples.set(key(sample[1]!, labels), value);
  }
  return { types, samples };
}

function key(name: string, labels: string[]): string {
  return labels.length === 0 ? name : `${name}{${[...labels].sort().join(',')}}`;
}

/** The samples of the metrics whose name starts with `prefix`, for exact comparison. */
function samplesOf(exposition: Exposition, prefix: string): Record<string, number> {
  return Object.fromEntries([...exposition.samples].filter(([name]) => name.startsWith(prefix)));
}

function metric(name: string, labels: Record<string, string | number>): string {
  return key(
    name,
    Object.entries(labels).map(([k, v]) => `${k}="${v}"`),
  );
}


/** An application-wide interceptor reshaping every response: the metrics text must not go through it. */
@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data: unknown) => ({ data })));
  }
}

const policies = (clock: FakeClock): ResilienceModuleOptions => ({
  clock,
  openTelemetry: false,
  circuitBreakers: { pricing: { failureThreshold: 2 } },
  retries: { pricing: { maxRetries: 1, baseDelay: 10, jitter: 'none' } },
  timeouts: { slow: 50 },
  bulkheads: { reports: { maxConcurrent: 1, maxQueue: 0 } },
});

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0).reverse()) await app.close();
});

async function boot(platform: Platform, options: ResilienceModuleOptions, configure?: (app: INestApplication) => void): Promise<INestApplication> {
  const app = await bootApp(platform, { imports: [ResilienceModule.forRoot(options)], providers: [Dependencies] }, { configure });
  apps.push(app);
  return app;
}

/** Drives every policy once through its interesting paths; returns the bulkhead's release. */
async function drive(app: INestApplication, clock: FakeClock): Promise<() => Promise<void>> {
  const deps = app.get(Dependencies);
  await deps.price(false); // success without retry
  const failing = deps.price(true).catch((error: unknown) => error);
  await clock.tickAsync(10); // the retry: the second failure opens the breaker
  expect(await failing).toMatchObject({ message: 'pricing down' });
  await expect(deps.price(false)).rejects.toMatchObject({ name: 'CircuitOpenError' }); // not permitted, not retried
  const slow = deps.slow();
  await clock.tickAsync(50);
  expect(await slow).toBe(-1); // timed out, fell back
  let release!: () => void;
  const holding = deps.report(new Promise<void>((resolve) => (release = resolve)));
  await expect(deps.report(Promise.resolve())).rejects.toMatchObject({ name: 'BulkheadFullError' });
  return async () => {
    release();
    await holding;
  };
}

describe.each(PLATFORMS)('%s: Prometheus metrics', (platform: Platform) => {
  it('serves exactly the policies’ samples at metrics.path, with the registry’s content type', async () => {
    const clock = new FakeClock(START);
    const registry = new Registry();
    const app = await boot(platform, { ...policies(clock), metrics: { registry, path: 'metrics' } }, (a) =>
      a.useGlobalInterceptors(new WrapInterceptor()),
    );
    const release = await drive(app, clock);

    const response = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe(registry.contentType);
    expect(response.text).toBe(await registry.metrics());
    const exposition = parseExposition(response.text);
    expect(Object.fromEntries(Object.entries(exposition.types).filter(([name]) => name.startsWith('bulwark_')))).toEqual(METRIC_TYPES);

    expect(samplesOf(exposition, 'bulwark_circuit_breaker_')).toEqual({
      [metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'closed' })]: 0,
      [metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'open' })]: 1,
      [metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'half-open' })]: 0,
      [metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'forced-open' })]: 0,
      [metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'disabled' })]: 0,
      [metric('bulwark_circuit_breaker_calls_total', { name: 'pricing', outcome: 'success' })]: 1,
      [metric('bulwark_circuit_breaker_calls_total', { name: 'pricing', outcome: 'failure' })]: 2,
      [metric('bulwark_circuit_breaker_calls_total', { name: 'pricing', outcome: 'ignored' })]: 0,
      [metric('bulwark_circuit_breaker_calls_total', { name: 'pricing', outcome: 'not_permitted' })]: 1,
      [metric('bulwark_circuit_breaker_failure_rate', { name: 'pricing' })]: 66.7,
      [metric('bulwark_circuit_breaker_slow_call_rate', { name: 'pricing' })]: 0,
    });
    expect(samplesOf(exposition, 'bulwark_retry_calls_total')).toEqual({
      [metric('bulwark_retry_calls_total', { name: 'pricing', outcome: 'success_without_retry' })]: 1,
      [metric('bulwark_retry_calls_total', { name: 'pricing', outcome: 'success_with_retry' })]: 0,
      [metric('bulwark_retry_calls_total', { name: 'pricing', outcome: 'failed_with_retry' })]: 1,
      [metric('bulwark_retry_calls_total', { name: 'pricing', outcome: 'failed_without_retry' })]: 1,
    });
    // The built-in profiles exist in every application, so they are series too.
    expect(samplesOf(exposition, 'bulwark_timeouts_total')).toEqual({
      [metric('bulwark_timeouts_total', { name: 'database' })]: 0,
      [metric('bulwark_timeouts_total', { name: 'internal' })]: 0,
      [metric('bulwark_timeouts_total', { name: 'external' })]: 0,
      [metric('bulwark_timeouts_total', { name: 'health' })]: 0,
      [metric('bulwark_timeouts_total', { name: 'slow' })]: 1,
    });
    expect(samplesOf(exposition, 'bulwark_bulkhead_')).toEqual({
      [metric('bulwark_bulkhead_rejected_total', { name: 'reports' })]: 1,
      [metric('bulwark_bulkhead_available', { name: 'reports' })]: 0,
      [metric('bulwark_bulkhead_limit', { name: 'reports' })]: 1,
      [metric('bulwark_bulkhead_in_flight', { name: 'reports' })]: 1,
      [metric('bulwark_bulkhead_queued', { name: 'reports' })]: 0,
    });
    expect(samplesOf(exposition, 'bulwark_load_shed')).toEqual({});
    expect(samplesOf(exposition, 'bulwark_fallbacks_total')).toEqual({
      [metric('bulwark_fallbacks_total', { name: 'Dependencies.slow', reason: 'circuit_open' })]: 0,
      [metric('bulwark_fallbacks_total', { name: 'Dependencies.slow', reason: 'timeout' })]: 1,
      [metric('bulwark_fallbacks_total', { name: 'Dependencies.slow', reason: 'bulkhead_full' })]: 0,
      [metric('bulwark_fallbacks_total', { name: 'Dependencies.slow', reason: 'error' })]: 0,
      [metric('bulwark_fallbacks_total', { name: 'Dependencies.slow', reason: 'result' })]: 0,
    });
    // The three calls the breaker let through took no time on the fake clock: all in the first bucket.
    const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
    expect(samplesOf(exposition, 'bulwark_call_duration_seconds')).toEqual({
      ...Object.fromEntries(buckets.map((le) => [metric('bulwark_call_duration_seconds_bucket', { le, name: 'pricing' }), 3])),
      [metric('bulwark_call_duration_seconds_count', { name: 'pricing' })]: 3,
      [metric('bulwark_call_duration_seconds_sum', { name: 'pricing' })]: 0,
    });

    // Values are read at each scrape: later calls, later policies and state changes show up.
    await release();
    clock.advance(30_000);
    app.get(CircuitBreakerRegistry).create('later').forceOpen();
    const next = parseExposition((await request(app.getHttpServer()).get('/metrics').expect(200)).text);
    expect(next.samples.get(metric('bulwark_bulkhead_available', { name: 'reports' }))).toBe(1);
    // Due a trial, but a scrape moves nothing: still open until a call comes.
    expect(next.samples.get(metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'open' }))).toBe(1);
    expect(next.samples.get(metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'half-open' }))).toBe(0);
    expect(next.samples.get(metric('bulwark_circuit_breaker_state', { name: 'later', state: 'forced-open' }))).toBe(1);
  });

  it('a scrape reads each breaker once (one snapshot for all its series), shared and per-key breakers alike', async () => {
    const clock = new FakeClock(START);
    const registry = new Registry();
    const app = await boot(platform, { ...policies(clock), exposeKeys: true, metrics: { registry, path: 'metrics' } });
    const breakers = app.get(CircuitBreakerRegistry);
    const family = breakers.createFamily('tenants');
    family.get('acme');
    family.get('globex');
    const all = [...breakers.list(), ...breakers.keyedBreakers()];
    expect(all).toHaveLength(3);
    const snapshots = all.map((breaker) => jest.spyOn(breaker, 'snapshot'));
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).toContain('bulwark_circuit_breaker_failure_rate{name="tenants",key="acme"} 0');
    expect(snapshots.map((spy) => spy.mock.calls.length)).toEqual([1, 1, 1]);
    await registry.metrics();
    expect(snapshots.map((spy) => spy.mock.calls.length)).toEqual([2, 2, 2]);
  });

  it('without exposeKeys, a family of per-key breakers is one set of series, with no key label, whose counts never go down', async () => {
    const clock = new FakeClock(START);
    const registry = new Registry();
    const app = await boot(platform, { ...policies(clock), metrics: { registry, path: 'metrics' } });
    const family = app.get(CircuitBreakerRegistry).createFamily('tenants', { maxKeys: 1, failureThreshold: 3 });
    await family.get('alice@example.com').execute(async () => 1);
    await family.get('alice@example.com').execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await family.get('bob@example.com').execute(async () => 2); // alice's breaker is dropped for room
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).not.toContain('example.com');
    expect(text).not.toContain('key=');
    expect(text).toContain('bulwark_circuit_breaker_calls_total{name="tenants",outcome="success"} 2');
    expect(text).toContain('bulwark_circuit_breaker_calls_total{name="tenants",outcome="failure"} 1');
    expect(text).toContain('bulwark_circuit_breaker_state{name="tenants",state="closed"} 1');
    expect(text).toMatch(/bulwark_call_duration_seconds_count\{name="tenants"\} 3/);
  });

  it('with exposeKeys, labels at most the first 100 keys of a family', async () => {
    const clock = new FakeClock(START);
    const registry = new Registry();
    const app = await boot(platform, { ...policies(clock), exposeKeys: true, metrics: { registry, path: 'metrics' } });
    const family = app.get(CircuitBreakerRegistry).createFamily('tenants');
    for (let i = 0; i < 150; i++) await family.get(`t${i}`).execute(async () => i);
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    const keys = new Set([...text.matchAll(/key="(t\d+)"/g)].map((match) => match[1]));
    expect(keys.size).toBe(100);
    expect(keys.has('t0') && keys.has('t99') && !keys.has('t100')).toBe(true);
  });

  it('mounts no endpoint and registers nothing without `metrics`', async () => {
    const clock = new FakeClock(START);
    const app = await boot(platform, policies(clock));
    await request(app.getHttpServer()).get('/metrics').expect(404);
    expect(register.getSingleMetric('bulwark_circuit_breaker_state')).toBeUndefined();
  });

  it('registers into prom-client’s default register with `metrics: {}`, and mounts no endpoint without a path', async () => {
    const clock = new FakeClock(START);
    const app = await boot(platform, { ...policies(clock), metrics: {} });
    await request(app.getHttpServer()).get('/metrics').expect(404);
    const exposition = parseExposition(await register.metrics());
    expect(exposition.samples.get(metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'closed' }))).toBe(1);
    await app.close();
    apps.pop();
    expect(register.getSingleMetric('bulwark_circuit_breaker_state')).toBeUndefined();
  });
});

describe('Prometheus metrics in several applications', () => {
  it('keeps two applications with their own registries apart', async () => {
    const [clockA, clockB] = [new FakeClock(START), new FakeClock(START)];
    const [registryA, registryB] = [new Registry(), new Registry()];
    const a = await boot('express', { ...policies(clockA), metrics: { registry: registryA, path: 'metrics' } });
    const b = await boot('fastify', { ...policies(clockB), metrics: { registry: registryB, path: 'metrics' } });
    breakersOf(a).forceOpen('pricing');
    const textA = (await request(a.getHttpServer()).get('/metrics').expect(200)).text;
    const textB = (await request(b.getHttpServer()).get('/metrics').expect(200)).text;
    const forced = metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'forced-open' });
    expect(parseExposition(textA).samples.get(forced)).toBe(1);
    expect(parseExposition(textB).samples.get(forced)).toBe(0);
  });

  it('lets a second application take over the default register without throwing, and hands it back when it closes', async () => {
    const a = await boot('express', { ...policies(new FakeClock(START)), metrics: {} });
    const b = await boot('express', { ...policies(new FakeClock(START)), metrics: {} });
    const forced = metric('bulwark_circuit_breaker_state', { name: 'pricing', state: 'forced-open' });
    breakersOf(a).forceOpen('pricing');
    expect(parseExposition(await register.metrics()).samples.get(forced)).toBe(0); // b reports
    await b.close();
    apps.pop();
    expect(parseExposition(await register.metrics()).samples.get(forced)).toBe(1); // a reports again
    await a.close();
    apps.pop();
    expect(register.getSingleMetric('bulwark_circuit_breaker_state')).toBeUndefined();
  });

  it('fails start-up when the registry has a metric of that name it did not register', async () => {
    const registry = new Registry();
    new Counter({ name: 'bulwark_timeouts_total', help: 'mine', registers: [registry] });
    await expect(boot('express', { ...policies(new FakeClock(START)), metrics: { registry } })).rejects.toThrow(
      'the prom-client registry already has a metric named "bulwark_timeouts_total" that Bulwark did not register',
    );
  });
});

function breakersOf(application: INestApplication): CircuitBreakerRegistry {
  return application.get(CircuitBreakerRegistry);
}

describe('call duration histogram', () => {
  const histogram = { boundsMs: [5, 10, 250], counts: [3, 0, 4, 1], count: 8, sumMs: 1_234.5 };

  it('exports a source’s buckets in seconds, cumulative, with +Inf, sum and count', async () => {
    const registry = new Registry();
    const source: CallDurationSource = { durationHistograms: () => [{ name: 'pricing', histogram }] };
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ metrics: { registry }, openTelemetry: false })],
    })
      .overrideProvider(CALL_DURATION_SOURCE)
      .useValue(source)
      .compile();
    await moduleRef.init();
    try {
      const exposition = parseExposition(await registry.metrics());
      expect(samplesOf(exposition, 'bulwark_call_duration_seconds')).toEqual({
        [metric('bulwark_call_duration_seconds_bucket', { name: 'pricing', le: 0.005 })]: 3,
        [metric('bulwark_call_duration_seconds_bucket', { name: 'pricing', le: 0.01 })]: 3,
        [metric('bulwark_call_duration_seconds_bucket', { name: 'pricing', le: 0.25 })]: 7,
        [metric('bulwark_call_duration_seconds_bucket', { name: 'pricing', le: '+Inf' })]: 8,
        [metric('bulwark_call_duration_seconds_sum', { name: 'pricing' })]: 1.2345,
        [metric('bulwark_call_duration_seconds_count', { name: 'pricing' })]: 8,
      });
    } finally {
      await moduleRef.close();
    }
  });

  it('reads each breaker’s own `durationHistogram`; a breaker with `durationBuckets: false` has no series', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ResilienceModule.forRoot({
          metrics: { registry },
          openTelemetry: false,
          circuitBreakers: { pricing: {}, stock: { durationBuckets: false } },
        }),
      ],
    }).compile();
    await moduleRef.init();
    try {
      const breakers = moduleRef.get(CircuitBreakerRegistry);
      await breakers.get('pricing')!.execute(async () => 1);
      await breakers.get('stock')!.execute(async () => 1);
      const exposition = parseExposition(await registry.metrics());
      expect(exposition.samples.get(metric('bulwark_call_duration_seconds_count', { name: 'pricing' }))).toBe(1);
      expect(exposition.samples.has(metric('bulwark_call_duration_seconds_count', { name: 'stock' }))).toBe(false);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('metrics options', () => {
  it('adds no per-call listener to a breaker (values are read on scrape)', async () => {
    const registry = new Registry();
    const clock = new FakeClock(START);
    const app = await boot('express', { ...policies(clock), metrics: { registry } });
    const breaker = app.get(CircuitBreakerRegistry).get('pricing')!;
    // The per-call event: subscribing to it would allocate an event object for every call.
    expect((breaker as unknown as { callOutcomes: { hasListeners: boolean } }).callOutcomes.hasListeners).toBe(false);
  });

  it.each([
    [{ metrics: { path: '' } }, 'metrics.path must be a non-empty string (got "")'],
    [{ metrics: { registry: {} } }, 'metrics.registry must be a prom-client Registry (got object)'],
    [{ metrics: { prefix: 'x' } }, 'metrics.prefix is not a metrics option (known: registry, path) (got "x")'],
    [{ metrics: true }, 'metrics must be an object (or false) (got true)'],
  ])('rejects invalid metrics options: %j', async (options, message) => {
    const error = await Test.createTestingModule({ imports: [ResilienceModule.forRoot(options as never)] })
      .compile()
      .then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe(message);
  });

  it('fails start-up naming prom-client when it is not installed', async () => {
    const notInstalled = (specifier: string): Promise<never> =>
      Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/main.js`), { code: 'ERR_MODULE_NOT_FOUND' }));
    const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ metrics: {}, openTelemetry: false })] })
      .overrideProvider(PEER_IMPORTER)
      .useValue(notInstalled)
      .compile();
    await expect(moduleRef.init()).rejects.toThrow('`metrics` needs prom-client, which is not installed: npm install prom-client');
    await moduleRef.close();
  });

  it('validates the metrics given to forRootAsync itself', async () => {
    const error = await Test.createTestingModule({
      imports: [ResilienceModule.forRootAsync({ metrics: { path: ' ' }, useFactory: () => ({}) })],
    })
      .compile()
      .then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe('metrics.path must be a non-empty string (got " ")');
  });

  it('refuses metrics that only the forRootAsync factory turns on (their code is wired when the module is defined)', async () => {
    const error = await Test.createTestingModule({
      imports: [ResilienceModule.forRootAsync({ openTelemetry: false, useFactory: () => ({ metrics: { registry: new Registry() } }) })],
    })
      .compile()
      .then(() => undefined, (reason: unknown) => reason);
    expect((error as Error).message).toBe(
      'ResilienceModule.forRootAsync: `metrics` came from the options factory (an object) but was not given to forRootAsync itself. ' +
        'It decides whether the metrics code is wired (and loaded), which is settled before the factory runs: pass it to ' +
        'ResilienceModule.forRootAsync({ metrics: ..., useFactory }) instead.',
    );
  });

  describe.each(PLATFORMS)('%s: forRootAsync', (platform: Platform) => {
    @Injectable()
    class Config {
      readonly registry = new Registry();
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}

    const bootAsync = async (factoryMetrics: (config: Config) => ResilienceModuleOptions['metrics']): Promise<INestApplication> => {
      const application = await bootApp(platform, {
        imports: [
          ResilienceModule.forRootAsync({
            imports: [ConfigModule],
            inject: [Config],
            metrics: { path: 'metrics' },
            useFactory: (config: Config) => ({
              openTelemetry: false,
              circuitBreakers: { pricing: {} },
              metrics: factoryMetrics(config),
            }),
          }),
        ],
      });
      apps.push(application);
      return application;
    };

    it('mounts the endpoint given to the module, with a registry from the factory', async () => {
      const application = await bootAsync((config) => ({ registry: config.registry }));
      const response = await request(application.getHttpServer()).get('/metrics').expect(200);
      expect(response.text).toBe(await application.get(Config).registry.metrics());
      expect(response.text).toContain('bulwark_circuit_breaker_state{name="pricing",state="closed"} 1');
    });

    it('refuses metrics: false from the factory when the endpoint is declared (it would stay mounted)', async () => {
      await expect(bootAsync(() => false)).rejects.toThrow(
        'metrics: false came from the options factory, but the metrics endpoint "metrics" is declared before the factory runs and would stay mounted',
      );
    });

    it('refuses a path that only the factory gives (the endpoint is declared before it runs)', async () => {
      await expect(bootAsync(() => ({ path: 'other' }))).rejects.toThrow(
        'metrics.path "other" came from the options factory, but the metrics endpoint is declared before the factory runs',
      );
    });
  });
});
